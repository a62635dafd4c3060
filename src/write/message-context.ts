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

/**
 * The context of a user's command: the user id encrypted under the user's key (docs/privacy.md), as
 * the events' metadata and the command's own user fields carry it. Never the plain id: it would
 * outlive an erasure in the log.
 */
export const userContext = async (request: Request, userId: string, keys: { encryptedId(userId: string): Promise<string> }): Promise<MessageContext & { userId: string }> => {
  const encrypted = await keys.encryptedId(userId);
  return { ...requestContext(request, encrypted), userId: encrypted };
};
