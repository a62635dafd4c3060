import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor, ServiceUnavailableException } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { ProjectionsService } from '../projections/projections.service.js';
import { DomainError } from '../write/domain-error.js';
import { normalizePosition } from '../write/event-store/event-store.port.js';

const WAIT_MS = 5_000;

/**
 * Read-your-writes: with `X-Min-Position: <position>` (the `position` a command answered), a query
 * answers only once every read model has caught up to it; after a bounded wait, 503 with Retry-After.
 */
@Injectable()
export class MinPositionInterceptor implements NestInterceptor {
  constructor(private readonly projections: ProjectionsService) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const header = http.getRequest<Request>().header('x-min-position');
    if (header === undefined) return next.handle();
    const position = normalizePosition(header);
    if (!position) throw new DomainError('invalid', 'X-Min-Position must be a position a command answered with');
    if (!(await this.projections.waitFor(position, WAIT_MS))) {
      http.getResponse<Response>().setHeader('Retry-After', '1');
      throw new ServiceUnavailableException(`The read models have not reached ${position} yet; retry shortly`);
    }
    return next.handle();
  }
}

/** The header, as the OpenAPI document describes it on every query. */
export const MIN_POSITION = {
  name: 'X-Min-Position',
  required: false,
  description: 'A position a command answered with: the answer waits until the read models have caught up to it (a few seconds at most, then 503 with Retry-After)',
  schema: { type: 'string', example: '00000000000000001234:00000000000000001234' },
};
