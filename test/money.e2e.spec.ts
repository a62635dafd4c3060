import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DEVELOPMENT_WEBHOOK_SECRET } from '../src/config.js';
import { signWebhook } from '../src/write/payment/webhook-signature.js';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { wholeLog } from './support/event-log.js';
import { eventually } from './support/eventually.js';
import { recordFigure } from './support/figures.js';
import { providerLedger } from './support/payment-provider.js';

/** Charges and refunds: one of each per payment, whatever retries, races and refusals come between (issue #16). */
describe('money is exact under retries and faults', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    database = await createTestDatabase('money');
    app = await startApp({ DATABASE_URL: database.url, BOOKING_RATE_LIMIT: '0', REFUND_RETRY_BASE_SECONDS: '0.2' });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const eventsOf = async (stream: string) => (await wholeLog(database.url)).filter((e) => e.streamName === stream).map((e) => e.type);
  const paidBooking = async (user: string, eventId: string, seatId: string, paymentMethod = 'pm_card_visa') => {
    const token = await bearer(user);
    const booking = await http().post('/bookings').set('authorization', token).send({ eventId, seatIds: [seatId] }).expect(201);
    const paid = await http().post(`/bookings/${booking.body.id}/payments`).set('authorization', token).send({ paymentMethod }).expect(202);
    await eventually(async () => (await http().get(`/bookings/${booking.body.id}`).set('authorization', token)).body.status === 'CONFIRMED', 20_000, 'the booking confirmed');
    return { token, bookingId: booking.body.id as string, paymentId: paid.body.paymentId as string };
  };

  it('20 concurrent retries of one payment reach the provider once: one charge', async () => {
    const { eventId, seats } = await publishedEvent(app, 1, 5);
    const alice = await bearer('auth0|alice');
    const booking = await http().post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seats[0].seatId] }).expect(201);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        http().post(`/bookings/${booking.body.id}/payments`).set('authorization', alice).set('idempotency-key', 'pay-once').send({ paymentMethod: 'pm_card_visa' }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    const { paymentId } = answers[0].body;
    expect(new Set(answers.map((a) => a.body.paymentId))).toEqual(new Set([paymentId]));
    await eventually(async () => (await http().get(`/bookings/${booking.body.id}`).set('authorization', alice)).body.status === 'CONFIRMED', 20_000, 'the booking confirmed');

    const ledger = await providerLedger(database.url, paymentId);
    expect(ledger).toEqual([{ kind: 'charge', payment_id: paymentId, calls: 1, accepted: true }]);
    expect((await eventsOf(`payment-${paymentId}`)).filter((type) => type === 'PaymentRequested')).toHaveLength(1);
    recordFigure('Money', 'charges at the provider / calls to it, for 20 racing retries of one payment', `${ledger.length} / ${ledger[0].calls}`);
  });

  it('a refund refused twice is asked again until accepted: REFUNDED, one PaymentRefunded, one refund at the provider', async () => {
    const { eventId, seats } = await publishedEvent(app, 1, 5);
    const { token, bookingId, paymentId } = await paidBooking('auth0|flaky', eventId, seats[0].seatId, 'pm_card_visa_refund_flaky');
    await http().post(`/bookings/${bookingId}/cancel`).set('authorization', token).expect(200);

    // While the provider refuses, the payment stays SUCCESS and /health says a refund is being retried.
    const retrying = await eventually(async () => {
      const health = await http().get('/health');
      return health.body.info?.payments?.refundsRetrying > 0 || health.body.error?.payments?.refundsRetrying > 0 ? health.body : undefined;
    }, 20_000, 'the refund retried');
    expect(retrying.status).toBe('degraded');

    const booking = await eventually(async () => {
      const answer = await http().get(`/bookings/${bookingId}`).set('authorization', token).expect(200);
      return answer.body.payment?.status === 'REFUNDED' ? answer.body : undefined;
    }, 30_000, 'the payment REFUNDED');
    expect(booking).toMatchObject({ status: 'CANCELLED', payment: { paymentId, status: 'REFUNDED' } });
    const events = await eventsOf(`payment-${paymentId}`);
    expect(events.filter((type) => type === 'RefundRequested')).toHaveLength(1);
    expect(events.filter((type) => type === 'PaymentRefunded')).toHaveLength(1);
    const refunds = (await providerLedger(database.url, paymentId)).filter((op) => op.kind === 'refund');
    expect(refunds).toEqual([{ kind: 'refund', payment_id: paymentId, calls: 3, accepted: true }]);
    await eventually(async () => ((await http().get('/health')).body.info?.payments?.refundsPending === 0 ? true : undefined), 10_000, 'no refund pending');
  });

  it('an event cancelled with 20 paid bookings refunds each of them once', async () => {
    const { eventId, seats, admin } = await publishedEvent(app, 2, 10);
    const paid = await Promise.all(seats.slice(0, 20).map((seat, i) => paidBooking(`auth0|fan-${i}`, eventId, seat.seatId)));
    await http().post(`/events/${eventId}/cancel`).set('authorization', admin).expect(200);

    await eventually(async () => {
      const statuses = await Promise.all(paid.map(async ({ token, bookingId }) => (await http().get(`/bookings/${bookingId}`).set('authorization', token)).body.payment?.status));
      return statuses.every((status) => status === 'REFUNDED');
    }, 60_000, 'every payment REFUNDED');
    const refunds = (await providerLedger(database.url)).filter((op) => op.kind === 'refund' && paid.some((p) => p.paymentId === op.payment_id));
    expect(refunds.filter((op) => op.accepted)).toHaveLength(20);
    expect(new Set(refunds.map((op) => op.payment_id)).size).toBe(20);
    for (const { paymentId } of paid) expect((await eventsOf(`payment-${paymentId}`)).filter((type) => type === 'PaymentRefunded')).toHaveLength(1);
    recordFigure('Money', 'refunds at the provider for an event cancelled with 20 paid bookings', refunds.length);
  });

  it('accepts a signed outcome for a payment it does not know, and keeps it for an operator (/health)', async () => {
    const body = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'payment.succeeded', data: { paymentId: randomUUID(), attempt: 1, externalId: 'pi_unknown', reason: null } });
    for (let i = 0; i < 2; i++) {
      await http().post('/payments/webhook').set('content-type', 'application/json').set('eventix-signature', signWebhook(body, DEVELOPMENT_WEBHOOK_SECRET)).send(body).expect(200);
    }
    const health = await http().get('/health').expect(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.info.payments).toMatchObject({ status: 'degraded', unmatchedOutcomes: 1 });
  });
});
