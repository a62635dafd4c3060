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

/** The header's fields; undefined when one is named twice, since which of two would count is this parser's accident. */
const fieldsOf = (header: string): Map<string, string> | undefined => {
  const fields = new Map<string, string>();
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    const name = (at < 0 ? part : part.slice(0, at)).trim();
    if (fields.has(name)) return undefined;
    fields.set(name, at < 0 ? '' : part.slice(at + 1));
  }
  return fields;
};

export const verifyWebhook = (header: string | undefined, payload: Buffer, secret: string, now = Date.now()): boolean => {
  const fields = fieldsOf(header ?? '');
  const [timestamp, signature] = [fields?.get('t') ?? '', fields?.get('v1') ?? ''];
  // Digits as signWebhook writes them: Number() also reads "17e8", "0x…" and "….0" as the signed
  // number, so one signature would pass under many headers.
  if (!/^[1-9][0-9]*$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return false;
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  // Constant time: how much of a forged signature matched must not show in the response time.
  return timingSafeEqual(Buffer.from(signature, 'hex'), mac(secret, Number(timestamp), payload));
};
