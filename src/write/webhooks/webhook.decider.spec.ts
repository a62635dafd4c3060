import { specification } from '../../../test/support/given.js';
import { MAX_WEBHOOKS, webhookDecider } from './webhook.decider.js';
import type { WebhookEvent } from './webhook.events.js';

const given = specification(webhookDecider);
const created = (n: number): WebhookEvent => ({ type: 'WebhookCreated', data: { webhookId: `w-${n}`, url: `https://hooks.example/${n}`, eventTypes: ['booking.reserved'] } });
const create = (n: number) => ({ type: 'CreateWebhook' as const, data: { webhookId: `w-${n}`, url: `https://hooks.example/${n}`, eventTypes: ['booking.reserved' as const] } });
const deleted = (n: number): WebhookEvent => ({ type: 'WebhookDeleted', data: { webhookId: `w-${n}` } });
const position = '00000000000000000012:00000000000000000034';

describe('webhook subscriptions', () => {
  it('subscribes', () => given().when(create(1)).then(created(1)));
  it(`refuses a subscription beyond ${MAX_WEBHOOKS}`, () =>
    given(...Array.from({ length: MAX_WEBHOOKS }, (_, n) => created(n))).when(create(99)).thenFails('conflict', { type: 'too-many-webhooks', limit: MAX_WEBHOOKS }));
  it('counts only the subscriptions in force', () =>
    given(...Array.from({ length: MAX_WEBHOOKS }, (_, n) => created(n)), deleted(3)).when(create(99)).then(created(99)));
  it('deletes', () => given(created(1)).when({ type: 'DeleteWebhook', data: { webhookId: 'w-1' } }).then(deleted(1)));
  it('cannot delete twice (404)', () => given(created(1), deleted(1)).when({ type: 'DeleteWebhook', data: { webhookId: 'w-1' } }).thenFails('not-found'));
  it('records a replay', () =>
    given(created(1))
      .when({ type: 'ReplayWebhook', data: { webhookId: 'w-1', fromPosition: position } })
      .then({ type: 'WebhookReplayRequested', data: { webhookId: 'w-1', fromPosition: position } }));
  it('replays only a subscription in force', () => given(created(1), deleted(1)).when({ type: 'ReplayWebhook', data: { webhookId: 'w-1', fromPosition: position } }).thenFails('not-found'));
});
