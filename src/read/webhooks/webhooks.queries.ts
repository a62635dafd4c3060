import { Inject, Injectable } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { DataSource } from 'typeorm';
import { WebhookDispatcher } from '../../projections/webhooks/webhook-dispatcher.js';
import { DomainError } from '../../write/domain-error.js';
import { EVENT_STORE, type EventStore } from '../../write/event-store/event-store.port.js';
import { asDecided } from '../../write/event-store/handle-command.js';
import { webhookDecider } from '../../write/webhooks/webhook.decider.js';
import { type WebhookEvent, WEBHOOKS_STREAM } from '../../write/webhooks/webhook.events.js';
import { Paging } from '../paging.js';
import type { Delivery, DeliveryPage, Webhook } from './webhooks.responses.js';

export class DeliveriesQuery extends Paging {
  @ApiProperty({ required: false, enum: ['DELIVERED', 'FAILED'], description: 'Only the attempts with this outcome' })
  @IsOptional() @IsIn(['DELIVERED', 'FAILED'])
  outcome?: 'DELIVERED' | 'FAILED';
}

/**
 * Webhooks as their owners see them: the subscriptions from the registry stream itself (a handful of
 * events; no read model to lag behind a create), their delivery state and attempts from the database.
 */
@Injectable()
export class WebhookQueries {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly db: DataSource,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  async list(): Promise<Webhook[]> {
    const subscriptions = await this.subscriptions();
    const health = new Map((await this.dispatcher.health([...subscriptions.keys()])).map((h) => [h.webhookId, h]));
    return [...subscriptions.values()].map(({ webhookId, url, eventTypes, createdAt }) => {
      const { state = 'delivering', position = '', retryingSince = null, failingSince = null, lastError = null } = health.get(webhookId) ?? {};
      return { id: webhookId, url, eventTypes, createdAt, state, position, retryingSince, failingSince, lastError };
    });
  }

  async deliveries(webhookId: string, { limit, offset, outcome }: DeliveriesQuery): Promise<DeliveryPage> {
    if (!(await this.subscriptions()).has(webhookId)) throw new DomainError('not-found', 'No such webhook');
    const items: Delivery[] = await this.db.query(
      `SELECT event_id AS "eventId", event_type AS "eventType", subject, position, attempt, attempted_at AS "attemptedAt", outcome,
              status_code AS "statusCode", error, duration_ms AS "durationMs"
         FROM webhooks.deliveries WHERE webhook_id = $1 AND ($2::webhooks.delivery_outcome IS NULL OR outcome = $2)
        ORDER BY id DESC LIMIT $3 OFFSET $4`,
      [webhookId, outcome ?? null, limit, offset],
    );
    return { items: items.map((item) => ({ ...item, attemptedAt: new Date(item.attemptedAt).toISOString() })), limit, offset };
  }

  /** The subscriptions in force, as the registry's decider folds them, each with when it was created. */
  private async subscriptions() {
    const { events } = await this.store.readStream(WEBHOOKS_STREAM);
    const decided = events.map(asDecided<WebhookEvent>);
    const inForce = decided.reduce(webhookDecider.evolve, webhookDecider.initialState());
    const createdAt = new Map(decided.flatMap((event) => (event.type === 'WebhookCreated' ? [[event.data.webhookId, event.metadata.occurredAt] as const] : [])));
    return new Map([...inForce].map(([webhookId, created]) => [webhookId, { ...created, createdAt: createdAt.get(webhookId)! }]));
  }
}
