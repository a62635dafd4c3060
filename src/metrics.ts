import { Controller, Get, Global, Header, Injectable, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { toProblem } from './problem-details.filter.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What a command's failure means to an operator: a lost race, a refused request, or our fault. */
const outcomeOf = (error: unknown) => {
  const { status } = toProblem(error);
  return status === 409 ? 'conflict' : status < 500 ? 'rejected' : 'error';
};

/**
 * The service's Prometheus metrics (prom-client), in a registry of its own per application, so
 * that two instances in one process (the tests) never share counters. Projections add their lag
 * and parked-event gauges to it (projections.service.ts).
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly commandDuration = new Histogram({
    name: 'eventix_command_duration_seconds',
    help: 'Time to handle a command (load, decide, append), by command and outcome (ok, conflict, rejected, error)',
    labelNames: ['command', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly conflicts = new Counter({
    name: 'eventix_conflicts_total',
    help: 'Commands refused with 409: seats taken by someone else, or a concurrent change that kept losing',
    labelNames: ['command'],
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'eventix_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'eventix_' });
  }

  /** Express middleware: every request's duration under its route template (never the raw URL: ids would explode the series). */
  readonly timeRequests = (request: Request, response: Response, next: NextFunction) => {
    const end = this.httpDuration.startTimer();
    response.on('finish', () => {
      const route = request.route?.path ? `${request.baseUrl}${request.route.path}` : 'unmatched';
      end({ method: request.method, route, status: String(response.statusCode) });
    });
    next();
  };

  /** Every command sent through the bus is timed, whichever controller or reactor sent it. */
  instrument(bus: CommandBus): void {
    const execute = bus.execute.bind(bus) as (command: object, ...rest: unknown[]) => Promise<unknown>;
    (bus as { execute: typeof execute }).execute = async (command, ...rest) => {
      const name = command.constructor.name.replace(/Message$/, '');
      const end = this.commandDuration.startTimer({ command: name });
      try {
        const result = await execute(command, ...rest);
        end({ outcome: 'ok' });
        return result;
      } catch (error) {
        const outcome = outcomeOf(error);
        end({ outcome });
        if (outcome === 'conflict') this.conflicts.inc({ command: name });
        throw error;
      }
    };
  }
}

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  /** Prometheus text format. Holds no personal data; still, expose it to the scraper only (SECURITY.md). */
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics', description: 'Commands, conflicts, HTTP latency, projection lag and parked events, in the Prometheus text format. For the scraper only (SECURITY.md).' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ content: { 'text/plain': { schema: { type: 'string' } } }, description: 'The Prometheus text format 0.0.4' })
  getMetrics(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

@Global()
@Module({ providers: [Metrics], controllers: [MetricsController], exports: [Metrics] })
export class MetricsModule implements NestModule {
  constructor(
    private readonly metrics: Metrics,
    bus: CommandBus,
  ) {
    metrics.instrument(bus);
  }

  configure(consumer: MiddlewareConsumer) {
    consumer.apply(this.metrics.timeRequests).forRoutes('*path');
  }
}
