import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { Gauge } from 'prom-client';
import { defer, finalize, type Observable } from 'rxjs';
import { Environment } from '../config.js';
import { Metrics } from '../metrics.js';

const COMMAND_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * At most COMMAND_CONCURRENCY HTTP commands (the requests that write: POST, PUT, PATCH, DELETE)
 * run at once in this instance; the others wait their turn in arrival order, authenticated but
 * not yet validated or run. Node runs every request on one thread: in an on-sale, each of hundreds
 * of bookings under way adds its steps to every turn of the event loop, and a seat map, a
 * read-your-writes wait or /health queued behind all of them (hundreds of milliseconds). Waiting
 * here, a booking costs nothing per turn, and it goes no slower: the seat inventory appends the
 * ones running together, and they keep the thread busy. 0 lets every command run at once.
 */
@Injectable()
export class CommandAdmission implements NestInterceptor {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly limit: number;

  constructor(env: Environment, metrics: Metrics) {
    this.limit = env.COMMAND_CONCURRENCY;
    const commands: Gauge = new Gauge({
      name: 'eventix_http_commands',
      help: 'HTTP commands in this instance, running or waiting their turn (COMMAND_CONCURRENCY)',
      labelNames: ['state'],
      registers: [metrics.registry],
      collect: () => {
        commands.set({ state: 'running' }, this.running);
        commands.set({ state: 'waiting' }, this.waiting.length);
      },
    });
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (this.limit === 0 || context.getType() !== 'http' || !COMMAND_METHODS.has(context.switchToHttp().getRequest<Request>().method)) {
      return next.handle();
    }
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    // The turn passes on when the command's answer is ready, or it failed; a turn handed over stays counted as running.
    return defer(() => next.handle()).pipe(finalize(() => this.release()));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
