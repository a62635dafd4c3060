import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { MessageContext } from './event-store/event-store.port.js';

const CORRELATION_ID = /^[\w.:-]{1,100}$/;

/**
 * The metadata every event of a request carries: the caller's correlation id (X-Correlation-Id,
 * or a new one), a causation id naming this request, and the acting user.
 */
export const requestContext = (request: Request, userId: string | null): MessageContext => {
  const given = request.header('x-correlation-id');
  return {
    correlationId: given && CORRELATION_ID.test(given) ? given : randomUUID(),
    causationId: `http:${randomUUID()}`,
    userId,
  };
};
