import { type LoggerService } from '@nestjs/common';
import { type DestinationStream, pino, type Logger as Pino } from 'pino';
import { pinoHttp } from 'pino-http';

/** Headers that carry credentials. A log is read by more people, and kept longer, than a request lives. */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'eventix-signature'];

/** Structured JSON logs (pino), one line per entry; Nest's own Logger writes through it. Standard output unless told otherwise. */
export const createPino = (level: string, destination?: DestinationStream): Pino =>
  pino(
    {
      level,
      base: { service: 'eventix' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Here, not in the request logger: every logger made from this one (pino-http's children too) redacts.
      redact: { paths: SECRET_HEADERS.flatMap((name) => [`req.headers["${name}"]`, `res.headers["${name}"]`]), censor: '[redacted]' },
    },
    destination,
  );

/** A path that names a user: POST /users/:userId/erase. The log outlives the erasure (docs/privacy.md). */
const USER_PATH = /^\/users\/[^/?#]*/;

/**
 * One line per request but /health's, with its headers (the secret ones redacted by createPino), and
 * without a user id in its path: the log line of an erasure must not keep what the erasure removes.
 */
export const requestLogger = (logger: Pino) =>
  pinoHttp({
    logger,
    autoLogging: { ignore: (req) => req.url === '/health' },
    serializers: {
      req: (req: { url?: string; params?: Record<string, unknown> }) => {
        if (req.url && USER_PATH.test(req.url)) {
          req.url = req.url.replace(USER_PATH, '/users/[redacted]');
          req.params = {};
        }
        return req;
      },
    },
  });

export class PinoLoggerService implements LoggerService {
  constructor(private readonly pino: Pino) {}

  log(message: unknown, context?: string) {
    this.write('info', message, context);
  }
  error(message: unknown, stackOrContext?: string, context?: string) {
    // Nest calls error(message, stack, context) or error(message, context).
    const stack = context === undefined ? undefined : stackOrContext;
    this.write('error', message, context ?? stackOrContext, stack);
  }
  warn(message: unknown, context?: string) {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string) {
    this.write('fatal', message, context);
  }

  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', message: unknown, context?: string, stack?: string) {
    if (message instanceof Error) this.pino[level]({ context, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.pino[level]({ context, ...message });
    else this.pino[level]({ context, stack }, String(message));
  }
}
