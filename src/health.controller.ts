import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ProjectionsService } from './projections/projections.service.js';
import { EVENT_STORE, type EventStore } from './write/event-store/event-store.port.js';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projections: ProjectionsService,
  ) {}

  /** 200 when the event store and the read-model database answer; 503 (with which one) otherwise. */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.indicators.check('eventStore').attempt(() => this.store.ping()).withTimeout(2_000),
      () => this.database.pingCheck('database').withTimeout(2_000),
      () => this.projectionsHealth(),
      () => this.kafkaHealth(),
    ]);
  }

  /** The publisher's checkpoint: it waits while Kafka is unset or down (nothing is lost), so degraded, not down. */
  private async kafkaHealth() {
    const publisher = await this.projections.publisherHealth();
    const session = this.indicators.check('kafka');
    return publisher.configured && publisher.lastError ? session.degraded({ publisher }) : session.up({ publisher });
  }

  /** Where each projector is in the log, whether it runs here, and what it parked: degraded, not down, while events are parked. */
  private async projectionsHealth() {
    const projectors = await this.projections.health();
    const session = this.indicators.check('projections');
    return projectors.some((p) => p.parked > 0) ? session.degraded({ projectors }) : session.up({ projectors });
  }
}
