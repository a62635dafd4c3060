import type { DataSource, EntityManager } from 'typeorm';
import { pause } from '../../pause.js';
import type { Recorded } from '../../write/event-store/event-store.port.js';
import type { UserIdReader } from '../../write/privacy/user-keys.js';
import type { WebhookCreated } from '../../write/webhooks/webhook.events.js';
import { deliveryName } from '../../write/webhooks/webhook.events.js';
import { type Outgoing, PUBLISHED_TYPES, type Published, toIntegrationEvent } from '../integration-events.js';
import { type Follower, followed, moveCheckpoint } from '../log-runner.js';
import type { Attempt, WebhookSender } from './webhook-sender.js';

export type RetrySettings = { baseMs: number; maxMs: number; failingAfterMs: number; concurrency: number };

/** What a delivery tells the metrics. */
export type DeliveryObserver = { attempted(webhookId: string, attempt: Attempt, envelopeTime: string): void };

type Delivered = { outgoing: Outgoing & { position: string }; attempt: number; result: Attempt };

/** Exponential, with jitter (half to all of it): endpoints that failed together are not all tried again at the same instant. */
export const retryDelay = (attempt: number, { baseMs, maxMs }: Pick<RetrySettings, 'baseMs' | 'maxMs'>, random = Math.random): number =>
  Math.min(maxMs, baseMs * 2 ** (attempt - 1)) * (0.5 + random() / 2);

/**
 * One subscription's delivery: a follower of the log with a checkpoint of its own (LogRunner), so a
 * dead endpoint holds back only itself. Each batch's events of the subscribed types are sent, a
 * booking's one after another and different bookings' side by side (up to `concurrency`), each
 * tried again and again until its endpoint takes it; then the checkpoint moves. A crash or a
 * restart sends again what was sent after the checkpoint: receivers de-duplicate on
 * Eventix-Event-Id (at least once, like Kafka).
 */
export class WebhookDelivery implements Follower {
  readonly name: string;
  readonly startAfter: string;
  private readonly types: ReadonlySet<string>;
  /** Whether a failure is on record in webhooks.status that a success must clear. */
  private retrying = true;

  constructor(
    private readonly webhook: WebhookCreated['data'] & { createdAt: string },
    private readonly sender: WebhookSender,
    private readonly dataSource: DataSource,
    private readonly settings: RetrySettings,
    private readonly observer: DeliveryObserver,
    private readonly users: UserIdReader,
  ) {
    this.name = deliveryName(webhook.webhookId);
    this.startAfter = webhook.createdAt;
    this.types = new Set(webhook.eventTypes);
  }

  async apply(batch: Recorded[], from: string, moved: (position: string) => void, signal: AbortSignal): Promise<void> {
    const { events } = await this.users.reveal(followed<Published, Recorded>(PUBLISHED_TYPES, batch), 'id');
    const outgoing = events.flatMap((recorded) => {
      const event = toIntegrationEvent(recorded);
      return event && this.types.has(event.envelope.type) ? [{ ...event, position: recorded.position as string }] : [];
    });
    const delivered: Delivered[] = [];
    const byKey = new Map<string, typeof outgoing>();
    for (const event of outgoing) {
      const queue = byKey.get(event.orderingKey);
      if (queue) queue.push(event);
      else byKey.set(event.orderingKey, [event]);
    }
    const queues = [...byKey.values()];
    const worker = async () => {
      for (let queue = queues.shift(); queue; queue = queues.shift()) {
        for (const event of queue) delivered.push(await this.deliver(event, signal));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.settings.concurrency, queues.length) }, worker));
    const to = batch[batch.length - 1].position;
    await this.dataSource.transaction(async (tx) => {
      await this.record(tx, delivered);
      if (delivered.length > 0) {
        await tx.query(
          `INSERT INTO webhooks.status AS s (webhook_id, last_delivered_at) VALUES ($1, now()) ON CONFLICT (webhook_id) DO UPDATE SET last_delivered_at = now()`,
          [this.webhook.webhookId],
        );
      }
      await moveCheckpoint(tx, this.name, from, to);
    });
    moved(to);
  }

  /** Sends one event until its endpoint takes it (or the runner stops: then it throws, and the batch is sent again later). */
  private async deliver(outgoing: Outgoing & { position: string }, signal: AbortSignal): Promise<Delivered> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.sender.send(outgoing.envelope, outgoing.position, attempt, signal);
      this.observer.attempted(this.webhook.webhookId, result, outgoing.envelope.time);
      if (result.outcome === 'DELIVERED') {
        if (this.retrying) await this.recovered();
        return { outgoing, attempt, result };
      }
      await this.failed({ outgoing, attempt, result });
      await pause(retryDelay(attempt, this.settings), signal);
      if (signal.aborted) throw new Error(`Stopped while retrying ${outgoing.envelope.id}`);
    }
  }

  /** A failure is recorded at once (the deliveries list shows an endpoint's trouble while it lasts), and may mark the subscription failing. */
  private async failed({ outgoing, attempt, result }: Delivered): Promise<void> {
    this.retrying = true;
    await this.dataSource.transaction(async (tx) => {
      await this.record(tx, [{ outgoing, attempt, result }]);
      await tx.query(
        `INSERT INTO webhooks.status AS s (webhook_id, retrying_since, last_error, last_attempt_at) VALUES ($1, $2, $3, $2)
         ON CONFLICT (webhook_id) DO UPDATE SET
           retrying_since = COALESCE(s.retrying_since, EXCLUDED.retrying_since),
           last_error = EXCLUDED.last_error,
           last_attempt_at = EXCLUDED.last_attempt_at,
           failing_since = COALESCE(s.failing_since,
             CASE WHEN COALESCE(s.retrying_since, EXCLUDED.retrying_since) <= EXCLUDED.last_attempt_at - make_interval(secs => $4) THEN EXCLUDED.last_attempt_at END)`,
        [this.webhook.webhookId, result.attemptedAt, result.error, this.settings.failingAfterMs / 1000],
      );
    });
  }

  /** The endpoint takes events again: no longer retrying, nor failing. */
  private async recovered(): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhooks.status SET retrying_since = NULL, failing_since = NULL, last_error = NULL WHERE webhook_id = $1`,
      [this.webhook.webhookId],
    );
    this.retrying = false;
  }

  private async record(tx: EntityManager, attempts: Delivered[]): Promise<void> {
    if (attempts.length === 0) return;
    const column = <T>(pick: (delivered: Delivered) => T) => attempts.map(pick);
    await tx.query(
      `INSERT INTO webhooks.deliveries (webhook_id, event_id, event_type, subject, position, attempt, attempted_at, outcome, status_code, error, duration_ms)
       SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::int[], $7::timestamptz[], $8::webhooks.delivery_outcome[], $9::int[], $10::text[], $11::int[])`,
      [
        this.webhook.webhookId,
        column((d) => d.outgoing.envelope.id),
        column((d) => d.outgoing.envelope.type),
        column((d) => d.outgoing.envelope.subject),
        column((d) => d.outgoing.position),
        column((d) => d.attempt),
        column((d) => d.result.attemptedAt),
        column((d) => d.result.outcome),
        column((d) => d.result.statusCode),
        column((d) => d.result.error),
        column((d) => d.result.durationMs),
      ],
    );
  }
}
