import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from './webhook-signature.js';

const secret = 'a-webhook-secret-of-at-least-32-characters';
const body = '{"id":"evt_1","type":"payment.succeeded"}';
const now = Date.UTC(2030, 0, 1);
const seconds = now / 1000;
/** The right signature of `body` at `now`: every header below carries it, so only the header's form can refuse it. */
const v1 = createHmac('sha256', secret).update(`${seconds}.${body}`).digest('hex');
const wrong = '0'.repeat(64);

const verify = (header: string) => verifyWebhook(header, Buffer.from(body), secret, now);

describe('webhook signatures', () => {
  it('accepts its own signature', () => {
    expect(verify(signWebhook(body, secret, now))).toBe(true);
    expect(verify(`t=${seconds},v1=${v1}`)).toBe(true);
  });

  // Each is the right MAC under a header the sender never wrote: one signature must have one header.
  it.each([
    ['a fractional timestamp', `t=${seconds}.0,v1=${v1}`],
    ['a timestamp with a sign', `t=+${seconds},v1=${v1}`],
    ['a timestamp with a leading zero', `t=0${seconds},v1=${v1}`],
    ['a timestamp in hexadecimal', `t=0x${seconds.toString(16)},v1=${v1}`],
    ['a timestamp in exponent notation', `t=${seconds / 1e6}e6,v1=${v1}`],
    ['a timestamp with a space inside', `t= ${seconds},v1=${v1}`],
    ['two v1 values, the wrong one first', `t=${seconds},v1=${wrong},v1=${v1}`],
    ['two v1 values, both right', `t=${seconds},v1=${v1},v1=${v1}`],
    ['two timestamps', `t=1,t=${seconds},v1=${v1}`],
    ['a v1 value with more after an =', `t=${seconds},v1=${v1}=x`],
  ])('refuses %s', (_, header) => {
    expect(verify(header)).toBe(false);
  });

  it('refuses a missing, stale or wrong signature', () => {
    expect(verifyWebhook(undefined, Buffer.from(body), secret, now)).toBe(false);
    expect(verify(signWebhook(body, secret, now - 301_000))).toBe(false);
    expect(verify(`t=${seconds},v1=${wrong}`)).toBe(false);
    expect(verify(signWebhook(body, 'another-secret-of-at-least-32-characters', now))).toBe(false);
  });
});
