import { type CallHandler, type ExecutionContext, Global, Injectable, Module, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { Gauge } from 'prom-client';
import { defer, finalize, type Observable } from 'rxjs';
import { Environment } from '../config.js';
import { Metrics } from '../metrics.js';

/**
 * At most COMMAND_CONCURRENCY HTTP commands run at once in this instance; the others wait their
 * turn in arrival order, authenticated but not yet validated or run. Node runs every request on
 * one thread: in an on-sale, each of hundreds of bookings under way adds its steps to every turn
 * of the event loop, and a seat map, a read-your-writes wait or /health queue behind all of them.
 * Waiting here, a booking costs nothing per turn. The price: fewer bookings appended together by
 * the seat inventory, and fewer bookings/s (BENCHMARKS.md measures both), so 0 (no limit) is the
 * default. One gate per application, whichever module's controller takes the command.
 */
@Injectable()
export class CommandGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  readonly limit: number;

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

  /** Resolves when the command may run; call `leave` once it has answered or failed. */
  async enter(): Promise<void> {
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** The turn passes to the next in line (and stays counted as running), or the running count falls. */
  leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

const COMMAND_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * On the command controllers (write side), not globally: any interceptor on the seat map's SSE
 * route would send its 404 and 400 after the stream's headers (catalog.controller.ts).
 */
@Injectable()
export class CommandAdmission implements NestInterceptor {
  constructor(private readonly gate: CommandGate) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (this.gate.limit === 0 || !COMMAND_METHODS.has(context.switchToHttp().getRequest<Request>().method)) return next.handle();
    await this.gate.enter();
    return defer(() => next.handle()).pipe(finalize(() => this.gate.leave()));
  }
}

@Global()
@Module({ providers: [CommandGate], exports: [CommandGate] })
export class CommandAdmissionModule {}
