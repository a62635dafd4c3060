import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
import { Environment } from '../../config.js';
import { UserKeys } from '../../write/privacy/user-keys.js';
import { Metrics } from '../../metrics.js';
import { pause } from '../../pause.js';
import { EVENT_STORE, type EventStore, type Recorded } from '../../write/event-store/event-store.port.js';
import { asDecided } from '../../write/event-store/handle-command.js';
import { webhookSecret } from '../../write/webhooks/webhook-secret.js';
import { targetPolicy } from '../../write/webhooks/webhook-target.js';
import { deliveryName, type WebhookCreated, type WebhookEvent, WEBHOOKS_STREAM } from '../../write/webhooks/webhook.events.js';
import { LogRunner } from '../log-runner.js';
import { type DeliveryObserver, type RetrySettings, WebhookDelivery } from './webhook-delivery.js';
import { WebhookSender } from './webhook-sender.js';

/** How often each instance looks for new, deleted and replayed subscriptions. */
const REGISTRY_POLL_MS = 500;
/** Attempts older than this leave webhooks.deliveries (docs/integration-events.md). */
const DELIVERY_RETENTION_DAYS = 30;
const PRUNE_EVERY_MS = 3_600_000;

type Subscription = WebhookCreated['data'] & { createdAt: string };
type Running = { runner: LogRunner; sender: WebhookSender };

export type WebhookHealth = {
  webhookId: string;
  state: 'delivering' | 'retrying' | 'failing';
  runsHere: boolean;
  position: string;
  retryingSince: string | null;
  failingSince: string | null;
  lastError: string | null;
  fault: string | null;
};

/**
 * Runs every subscription's delivery (WebhookDelivery) in a LogRunner of its own: like the
 * projectors, each runs in one instance at a time, and moves to another when that one dies. Every
 * instance follows the registry stream to know which subscriptions there are.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  /** Every subscription in force, as the registry says; `running`, those whose runner is started here. */
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly running = new Map<string, Running>();
  private readonly stopping = new AbortController();
  private nextRevision = 0n;
  private loop?: Promise<void>;
  private readonly settings: RetrySettings;
  private readonly observer: DeliveryObserver;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly env: Environment,
    metrics: Metrics,
    private readonly users: UserKeys,
  ) {
    this.settings = {
      baseMs: env.WEBHOOK_RETRY_BASE_SECONDS * 1000,
      maxMs: env.WEBHOOK_RETRY_MAX_SECONDS * 1000,
      failingAfterMs: env.WEBHOOK_FAILING_AFTER_SECONDS * 1000,
      concurrency: env.WEBHOOK_CONCURRENCY,
    };
    this.observer = this.registerMetrics(metrics);
  }

  onApplicationBootstrap() {
    this.loop = this.follow();
  }

  async beforeApplicationShutdown() {
    this.stopping.abort();
    await this.loop;
    await Promise.all([...this.running.keys()].map((webhookId) => this.stop(webhookId)));
  }

  /** Each subscription's state (those this instance knows, or those named), wherever its delivery runs, from the database. */
  async health(webhookIds = [...this.subscriptions.keys()]): Promise<WebhookHealth[]> {
    const rows: { webhookId: string; position: string | null; retryingSince: Date | null; failingSince: Date | null; lastError: string | null }[] = await this.dataSource.query(
      `SELECT w.id AS "webhookId", c.position, s.retrying_since AS "retryingSince", s.failing_since AS "failingSince", s.last_error AS "lastError"
         FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS w(id, name, n)
         LEFT JOIN projections.checkpoints c ON c.projector = w.name
         LEFT JOIN webhooks.status s ON s.webhook_id = w.id
        ORDER BY w.n`,
      [webhookIds, webhookIds.map(deliveryName)],
    );
    return rows.map((row) => {
      const here = this.running.get(row.webhookId)?.runner.status;
      return {
        webhookId: row.webhookId,
        state: row.failingSince ? 'failing' : row.retryingSince ? 'retrying' : 'delivering',
        runsHere: here?.leader ?? false,
        position: row.position ?? '',
        retryingSince: row.retryingSince?.toISOString() ?? null,
        failingSince: row.failingSince?.toISOString() ?? null,
        lastError: row.lastError,
        fault: here?.fault ?? null,
      };
    });
  }

  private async follow(): Promise<void> {
    let pruned = 0;
    while (!this.stopping.signal.aborted) {
      try {
        await this.catchUp();
        if (Date.now() - pruned > PRUNE_EVERY_MS) {
          await this.dataSource.query(`DELETE FROM webhooks.deliveries WHERE attempted_at < now() - make_interval(days => $1)`, [DELIVERY_RETENTION_DAYS]);
          pruned = Date.now();
        }
      } catch (error) {
        if (!this.stopping.signal.aborted) this.logger.warn(`Cannot read the webhook subscriptions (${(error as Error).message}); trying again`);
      }
      await pause(REGISTRY_POLL_MS, this.stopping.signal);
    }
  }

  /** Applies what the registry gained since it was last read: the whole of it, the first time. */
  private async catchUp(): Promise<void> {
    const { events } = await this.store.readStream(WEBHOOKS_STREAM, { fromRevision: this.nextRevision });
    for (const event of events.map(asDecided<WebhookEvent>)) {
      switch (event.type) {
        case 'WebhookCreated':
          this.subscriptions.set(event.data.webhookId, { ...event.data, createdAt: event.position });
          break;
        case 'WebhookDeleted':
          this.subscriptions.delete(event.data.webhookId);
          await this.stop(event.data.webhookId);
          await this.forget(event.data.webhookId);
          break;
        case 'WebhookReplayRequested':
          await this.replay(event as Recorded<typeof event>);
          break;
      }
      this.nextRevision = event.revision + 1n;
    }
    // After the replays, since a runner reads its checkpoint as it starts; and any a failed read left unstarted.
    for (const subscription of this.subscriptions.values()) if (!this.running.has(subscription.webhookId)) this.start(subscription);
  }

  private start(subscription: Subscription): void {
    const sender = new WebhookSender({
      url: subscription.url,
      secret: webhookSecret(this.env.OUTBOUND_WEBHOOK_KEY, subscription.webhookId),
      policy: targetPolicy(this.env.NODE_ENV),
      concurrency: this.settings.concurrency,
      timeoutMs: this.env.WEBHOOK_TIMEOUT_SECONDS * 1000,
    });
    const delivery = new WebhookDelivery(subscription, sender, this.dataSource, this.settings, this.observer, this.users);
    const runner = new LogRunner(delivery, this.store, this.dataSource, this.env.DATABASE_URL);
    this.running.set(subscription.webhookId, { runner, sender });
    runner.start();
  }

  private async stop(webhookId: string): Promise<void> {
    const running = this.running.get(webhookId);
    if (!running) return;
    this.running.delete(webhookId);
    await running.runner.stop();
    running.sender.close();
  }

  /** A deleted subscription leaves nothing behind but its events. */
  private async forget(webhookId: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await tx.query(`DELETE FROM projections.checkpoints WHERE projector = $1`, [deliveryName(webhookId)]);
      await tx.query(`DELETE FROM webhooks.status WHERE webhook_id = $1`, [webhookId]);
      await tx.query(`DELETE FROM webhooks.deliveries WHERE webhook_id = $1`, [webhookId]);
    });
  }

  /**
   * Moves the subscription's checkpoint back to `fromPosition` (never forward: a replay sends again,
   * it skips nothing), once, whichever instance sees the request first; then restarts the runner
   * here, which may be the one delivering, so that it reads the checkpoint again.
   */
  private async replay({ data, metadata }: Recorded<Extract<WebhookEvent, { type: 'WebhookReplayRequested' }>>): Promise<void> {
    const subscription = this.subscriptions.get(data.webhookId);
    if (!subscription) return; // deleted since
    const name = deliveryName(data.webhookId);
    await this.dataSource.transaction(async (tx) => {
      const applied = await tx.query(
        `INSERT INTO webhooks.replays (event_id, webhook_id, from_position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
        [metadata.eventId, data.webhookId, data.fromPosition],
      );
      if (applied.length === 0) return;
      await tx.query(`INSERT INTO projections.checkpoints (projector, position) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [name, subscription.createdAt]);
      // COLLATE "C": positions compare character by character.
      await tx.query(
        `UPDATE projections.checkpoints SET position = $2, updated_at = now() WHERE projector = $1 AND position COLLATE "C" > $2 COLLATE "C"`,
        [name, data.fromPosition],
      );
    });
    // Stopped here, started again once the registry is read (catchUp).
    if (!this.running.has(data.webhookId)) return;
    await this.stop(data.webhookId);
    this.logger.log(`Webhook ${data.webhookId}: sending again what came after ${data.fromPosition}`);
  }

  private registerMetrics(metrics: Metrics): DeliveryObserver {
    const deliveries = new Counter({
      name: 'eventix_webhook_deliveries_total',
      help: 'Attempts to deliver an event to a webhook, by subscription and outcome (DELIVERED, FAILED)',
      labelNames: ['webhook', 'outcome'],
      registers: [metrics.registry],
    });
    const lag = new Histogram({
      name: 'eventix_webhook_delivery_lag_seconds',
      help: 'From an event happening to its webhook endpoint taking it, by subscription',
      labelNames: ['webhook'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers: [metrics.registry],
    });
    const failing = new Gauge({
      name: 'eventix_webhook_failing',
      help: 'A webhook whose deliveries have failed for WEBHOOK_FAILING_AFTER_SECONDS or more (1), or not (0): its endpoint needs its owner',
      labelNames: ['webhook'],
      registers: [metrics.registry],
      collect: async () => {
        failing.reset();
        for (const webhook of await this.health()) failing.set({ webhook: webhook.webhookId }, webhook.state === 'failing' ? 1 : 0);
      },
    });
    return {
      attempted: (webhook, attempt, envelopeTime) => {
        deliveries.inc({ webhook, outcome: attempt.outcome });
        if (attempt.outcome === 'DELIVERED') lag.observe({ webhook }, Math.max(0, Date.now() - Date.parse(envelopeTime)) / 1000);
      },
    };
  }
}
