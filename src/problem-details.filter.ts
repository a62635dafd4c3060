import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from './write/domain-error.js';
import { EventStoreUnavailableError, WrongExpectedRevisionError } from './write/event-store/event-store.port.js';

/** RFC 9457 problem details: the one shape of every error this service answers. */
export type Problem = { type: string; title: string; status: number; detail?: string; [extra: string]: unknown };

const DOMAIN_STATUS: Record<DomainError['kind'], number> = {
  invalid: HttpStatus.BAD_REQUEST,
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  'not-bookable': HttpStatus.UNPROCESSABLE_ENTITY,
  unprocessable: HttpStatus.UNPROCESSABLE_ENTITY,
};

const problemType = (slug: string) => `https://eventix.dev/problems/${slug}`;

const titleOf = (status: number) =>
  (HttpStatus[status] ?? 'Error')
    .toLowerCase()
    .split('_')
    .map((word, i) => (i === 0 ? word[0].toUpperCase() + word.slice(1) : word))
    .join(' ');

const fromHttpException = (error: HttpException): Problem => {
  const status = error.getStatus();
  const body = error.getResponse();
  const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
  // ValidationPipe gives a list of messages: keep them all, they name the fields.
  const detail = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : error.message;
  const extra = typeof body === 'object' && body !== null && 'problem' in body ? (body as { problem: object }).problem : terminusChecks(body);
  return { type: problemType(titleOf(status).toLowerCase().replace(/ /g, '-')), title: titleOf(status), status, detail, ...extra };
};

/** A failed health check (terminus) keeps saying which check failed and why: `checks`, as /health's 200 answer has `details`. */
const terminusChecks = (body: unknown): object => {
  const { status, details } = (body ?? {}) as { status?: unknown; details?: unknown };
  return status === 'error' && typeof details === 'object' && details !== null ? { checks: details } : {};
};

/** Body-parser errors (Nest wraps them in an HttpException) say what was wrong in their own words. */
const BODY_PARSER_DETAIL: Record<string, string> = {
  'entity.parse.failed': 'The body is not valid JSON',
  'entity.too.large': 'The body is larger than this service accepts',
  'encoding.unsupported': 'The body has an encoding this service does not read',
  'charset.unsupported': 'The body has a charset this service does not read',
};

const bodyParserDetail = (cause: unknown): string | undefined => {
  const { type, errno } = (cause ?? {}) as { type?: unknown; errno?: unknown };
  if (typeof type === 'string') return BODY_PARSER_DETAIL[type];
  // No type: zlib's own error ("incorrect header check", "unexpected end of file"), passed on as
  // it came. The client learns what it can mend, not how our decompressor failed.
  if (typeof errno === 'number') return 'The body does not decode as its Content-Encoding says';
  return undefined;
};

const NETWORK_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * The database or the event store cannot be reached right now (down, restarting, failing over):
 * the request did nothing, and the same request later may well succeed, so 503, not 500.
 * SQLSTATE 08 (connection exception) and 57P (operator intervention: shutdown, starting up).
 */
const isUnavailable = (error: unknown): boolean => {
  for (let cause = error as { code?: unknown; driverError?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; cause && depth < 4; depth++) {
    const code = typeof cause.code === 'string' ? cause.code : '';
    if (NETWORK_FAILURES.has(code) || /^(08|57P)/.test(code)) return true;
    if (typeof cause.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(cause.message)) return true;
    cause = (cause.driverError ?? cause.cause) as typeof cause;
  }
  return false;
};

export const toProblem = (error: unknown): Problem => {
  if (error instanceof DomainError) {
    const status = DOMAIN_STATUS[error.kind];
    const { type = error.kind, ...extra } = error.extra;
    return { type: problemType(String(type)), title: titleOf(status), status, detail: error.message, ...extra };
  }
  if (error instanceof WrongExpectedRevisionError) {
    return { type: problemType('concurrent-modification'), title: 'Conflict', status: 409, detail: 'Someone changed this at the same moment; retry' };
  }
  if (error instanceof HttpException) {
    const problem = fromHttpException(error);
    const detail = bodyParserDetail(error.cause);
    return detail ? { ...problem, detail } : problem;
  }
  if (error instanceof EventStoreUnavailableError || isUnavailable(error)) {
    return { type: problemType('unavailable'), title: 'Service Unavailable', status: 503, detail: 'A store this service needs cannot be reached right now; retry shortly' };
  }
  return {
    type: problemType('internal'),
    title: 'Internal Server Error',
    status: 500,
    detail: 'Something went wrong on our side; it has been logged',
  };
};

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost) {
    const problem = toProblem(error);
    // Internals go to the log, never to the client; a 503 (a store down, read models behind) is expected weather, one line.
    if (problem.status === 500) this.logger.error(error instanceof Error ? error : String(error));
    else if (problem.status >= 500) this.logger.warn(`${problem.status}: ${error instanceof Error ? error.message : String(error)}`);
    const response = host.switchToHttp().getResponse<Response>();
    if (problem.status === 503 && !response.getHeader('Retry-After')) response.setHeader('Retry-After', '1');
    response.status(problem.status).type('application/problem+json').json(problem);
  }
}
