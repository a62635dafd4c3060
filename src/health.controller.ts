import { Controller, Get, Inject, type OnModuleDestroy } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, type ApiPropertyOptions, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { HEALTH_CHECKS } from './openapi/problems.js';
import { ProjectionsService } from './projections/projections.service.js';
import { WebhookDispatcher } from './projections/webhooks/webhook-dispatcher.js';
import { EVENT_STORE, type EventStore } from './write/event-store/event-store.port.js';

const PUBLISHER_LAG_DEGRADED_SECONDS = 10;

const checks = (description: string, required = true) => ({ ...HEALTH_CHECKS, required, description }) as ApiPropertyOptions;

/** terminus's report when no check is down (a check that is down makes it a 503 problem, with `checks`). */
class HealthReport {
  @ApiProperty({ enum: ['ok', 'degraded'], description: 'degraded: serving, but something needs a look (Kafka behind, parked events, a refund being retried)' })
  status!: 'ok' | 'degraded';
  @ApiProperty(checks('The checks that are up or degraded', false)) info?: Record<string, unknown>;
  @ApiProperty(checks('The checks that are down (none in a 200)', false)) error?: Record<string, unknown>;
  @ApiProperty(checks('Every check: its `status` (up, degraded or down) and what it found')) details!: Record<string, unknown>;
}

@ApiTags('operations')
@Controller('health')
export class HealthController implements OnModuleDestroy {
  /** Set when shutdown begins: readiness turns 503 so that load balancers stop sending work while in-flight requests finish. */
  private draining = false;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projections: ProjectionsService,
    private readonly db: DataSource,
    private readonly webhooks: WebhookDispatcher,
  ) {}

  onModuleDestroy() {
    this.draining = true;
  }

  /** The whole report: 200 when the event store and the read-model database answer; 503 (with which one) otherwise. */
  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Health of everything this instance depends on',
    description: 'The event store, the read-model database, each projector (where it is, what it parked), the Kafka publisher, money waiting on the payment provider, and each outbound webhook. 503 when the event store or the database is down.',
  })
  @ApiOkResponse({ type: HealthReport })
  getHealth() {
    return this.health.check([this.eventStoreHealth, this.databaseHealth, () => this.projectionsHealth(), () => this.kafkaHealth(), () => this.paymentsHealth(), () => this.webhooksHealth()]);
  }

  /** Liveness: the process answers. Restart it only when this fails; a database outage is not a reason to. */
  @Get('live')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Liveness', description: 'The process answers. Restart it only when this fails; a database outage is not a reason to.' })
  @ApiOkResponse({ type: HealthReport })
  getLiveness() {
    return this.health.check([]);
  }

  /** Readiness: this instance can take commands now (event store and database answer, not shutting down). */
  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness', description: 'This instance takes commands now: the event store and the database answer, and it is not shutting down. 503 otherwise.' })
  @ApiOkResponse({ type: HealthReport })
  getReadiness() {
    return this.health.check([
      () => (this.draining ? this.indicators.check('shutdown').down({ draining: true }) : this.indicators.check('shutdown').up()),
      this.eventStoreHealth,
      this.databaseHealth,
    ]);
  }

  private readonly eventStoreHealth = () => this.indicators.check('eventStore').attempt(() => this.store.ping()).withTimeout(2_000);
  private readonly databaseHealth = () => this.database.pingCheck('database').withTimeout(2_000);

  /**
   * The publisher waits while Kafka is down (nothing is lost), so degraded, not down: when sending
   * failed, or when the oldest unpublished event is older than PUBLISHER_LAG_DEGRADED_SECONDS
   * (kafkajs retries for a long while before it reports a failure).
   */
  private async kafkaHealth() {
    const publisher = await this.projections.publisherHealth();
    const session = this.indicators.check('kafka');
    const behind = publisher.lastError !== null || publisher.lagSeconds > PUBLISHER_LAG_DEGRADED_SECONDS;
    return publisher.configured && behind ? session.degraded({ publisher }) : session.up({ publisher });
  }

  /**
   * Where each projector is in the log, whether it runs here, and what it parked: degraded, not down,
   * while events are parked. Down while the event store refuses a runner here (access denied, say): that needs an operator.
   */
  private async projectionsHealth() {
    const projectors = await this.projections.health();
    const faults = this.projections.faults();
    const session = this.indicators.check('projections');
    if (faults.length > 0) return session.down({ projectors, faults });
    return projectors.some((p) => p.parked > 0) ? session.degraded({ projectors }) : session.up({ projectors });
  }

  /**
   * Money waiting on the provider: refunds requested and not yet accepted (degraded while one is
   * being retried), and signed outcomes of payments Eventix does not know, kept for an operator.
   */
  private async paymentsHealth() {
    const [payments] = await this.db.query(
      `SELECT (SELECT count(*) FROM projections.refunds_due)::int AS "refundsPending",
              (SELECT count(*) FROM projections.refunds_due WHERE attempts > 0)::int AS "refundsRetrying",
              (SELECT min(requested_at) FROM projections.refunds_due) AS "oldestRefundRequestedAt",
              (SELECT count(*) FROM projections.unmatched_payment_outcomes)::int AS "unmatchedOutcomes"`,
    );
    const session = this.indicators.check('payments');
    return payments.refundsRetrying > 0 || payments.unmatchedOutcomes > 0 ? session.degraded(payments) : session.up(payments);
  }

  /**
   * Each outbound webhook's delivery: degraded while one is failing (its endpoint has refused events
   * for WEBHOOK_FAILING_AFTER_SECONDS); nothing is lost meanwhile, and the service is not down for it.
   */
  private async webhooksHealth() {
    const webhooks = await this.webhooks.health();
    const session = this.indicators.check('webhooks');
    return webhooks.some((webhook) => webhook.state === 'failing' || webhook.fault) ? session.degraded({ webhooks }) : session.up({ webhooks });
  }
}
