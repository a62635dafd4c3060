import { DomainError } from '../domain-error.js';
import type { Decider } from '../event-store/handle-command.js';
import type { IntegrationEventType } from '../../projections/integration-events.js';
import type { WebhookCreated, WebhookEvent } from './webhook.events.js';

/** Each subscription has a runner of its own that follows the log (a database connection and a reader): a bounded number. */
export const MAX_WEBHOOKS = 20;

export type CreateWebhook = { type: 'CreateWebhook'; data: { webhookId: string; url: string; eventTypes: IntegrationEventType[] } };
export type DeleteWebhook = { type: 'DeleteWebhook'; data: { webhookId: string } };
export type ReplayWebhook = { type: 'ReplayWebhook'; data: { webhookId: string; fromPosition: string } };
export type WebhookCommand = CreateWebhook | DeleteWebhook | ReplayWebhook;

/** The subscriptions in force, by id. */
export type Webhooks = ReadonlyMap<string, WebhookCreated['data']>;

const initialState = (): Webhooks => new Map();

const evolve = (state: Webhooks, event: WebhookEvent): Webhooks => {
  switch (event.type) {
    case 'WebhookCreated':
      return new Map(state).set(event.data.webhookId, event.data);
    case 'WebhookDeleted': {
      const next = new Map(state);
      next.delete(event.data.webhookId);
      return next;
    }
    case 'WebhookReplayRequested':
      return state;
  }
};

const existing = (state: Webhooks, webhookId: string) => {
  if (!state.has(webhookId)) throw new DomainError('not-found', 'No such webhook');
};

const decide = (command: WebhookCommand, state: Webhooks): WebhookEvent[] => {
  switch (command.type) {
    case 'CreateWebhook':
      if (state.size >= MAX_WEBHOOKS) {
        throw new DomainError('conflict', `There are ${MAX_WEBHOOKS} webhooks already, the most there may be; delete one first`, { type: 'too-many-webhooks', limit: MAX_WEBHOOKS });
      }
      return [{ type: 'WebhookCreated', data: command.data }];
    case 'DeleteWebhook':
      existing(state, command.data.webhookId);
      return [{ type: 'WebhookDeleted', data: command.data }];
    case 'ReplayWebhook':
      existing(state, command.data.webhookId);
      return [{ type: 'WebhookReplayRequested', data: command.data }];
  }
};

export const webhookDecider: Decider<Webhooks, WebhookCommand, WebhookEvent> = { initialState, evolve, decide };
