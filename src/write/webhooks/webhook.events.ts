import type { IntegrationEventType } from '../../projections/integration-events.js';

/**
 * Outbound webhook subscriptions, all of them in one stream: there are few, the limit on how many
 * is decided on one state, and the dispatcher follows one stream to know which to deliver to.
 * `url` is recorded in the log like everything else: a URL must not carry credentials (it is refused
 * with a user name or password; a token in its query would be kept for good).
 */
export type WebhookCreated = { type: 'WebhookCreated'; data: { webhookId: string; url: string; eventTypes: IntegrationEventType[] } };
export type WebhookDeleted = { type: 'WebhookDeleted'; data: { webhookId: string } };
/** Send again the subscribed events after `fromPosition`: the subscription's checkpoint goes back there, never forward. */
export type WebhookReplayRequested = { type: 'WebhookReplayRequested'; data: { webhookId: string; fromPosition: string } };
export type WebhookEvent = WebhookCreated | WebhookDeleted | WebhookReplayRequested;

export const WEBHOOKS_STREAM = 'webhooks-registry';

/** The checkpoint, lock and status of one subscription's delivery are under this name. */
export const deliveryName = (webhookId: string) => `webhook:${webhookId}`;
