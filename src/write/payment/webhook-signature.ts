import { createHmac, timingSafeEqual } from 'node:crypto';

/** A provider's outcome, as the webhook receives it. */
export type WebhookBody = {
  id: string;
  type: 'payment.succeeded' | 'payment.failed';
  data: { paymentId: string; attempt: number; externalId: string; reason: string | null };
};

/** Older signatures are refused, so a captured request cannot be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const mac = (secret: string, timestamp: number, payload: string | Buffer) =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(payload).digest();

/** `Eventix-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` (the scheme card providers use). */
export const signWebhook = (payload: string, secret: string, now = Date.now()): string => {
  const timestamp = Math.floor(now / 1000);
  return `t=${timestamp},v1=${mac(secret, timestamp, payload).toString('hex')}`;
};

export const verifyWebhook = (header: string | undefined, payload: Buffer, secret: string, now = Date.now()): boolean => {
  const parts = new Map((header ?? '').split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const timestamp = Number(parts.get('t'));
  const signature = parts.get('v1') ?? '';
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > SIGNATURE_TOLERANCE_SECONDS) return false;
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  // Constant time: how much of a forged signature matched must not show in the response time.
  return timingSafeEqual(Buffer.from(signature, 'hex'), mac(secret, timestamp, payload));
};
