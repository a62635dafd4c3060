import { createHmac } from 'node:crypto';

/**
 * A subscription's signing secret, derived from OUTBOUND_WEBHOOK_KEY and its id: nothing secret is
 * stored, in the log or anywhere else. It is shown once, when the webhook is created; changing
 * OUTBOUND_WEBHOOK_KEY changes every subscription's secret (docs/integration-events.md).
 */
export const webhookSecret = (key: string, webhookId: string): string =>
  `whsec_${createHmac('sha256', key).update(`eventix-webhook:${webhookId}`).digest('base64url')}`;
