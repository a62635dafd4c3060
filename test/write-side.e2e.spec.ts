import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { signWebhook } from '../src/write/payment/webhook-signature.js';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent, type SeatOfVenue } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { doubleBookedSeats, wholeLog } from './support/event-log.js';
import { eventually } from './support/eventually.js';
import { DEVELOPMENT_WEBHOOK_SECRET } from '../src/config.js';

/** The command half of the HTTP contract (SPEC §4), through HTTP, against real PostgreSQL. */
describe('write side through HTTP', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let alice: string;
  let bob: string;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    database = await createTestDatabase('write_side');
    app = await startApp({ DATABASE_URL: database.url });
    alice = await bearer('auth0|alice');
    bob = await bearer('auth0|bob');
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const streamOf = async (name: string) => (await wholeLog(database.url)).filter((e) => e.streamName === name);
  const book = (token: string, eventId: string, seats: SeatOfVenue[], key?: string) => {
    const req = http().post('/bookings').set('authorization', token);
    if (key) req.set('idempotency-key', key);
    return req.send({ eventId, seatIds: seats.map((s) => s.seatId) });
  };

  describe('catalog', () => {
    it('needs a token, and the permission catalog:write', async () => {
      await http().post('/venues').send({ name: 'X' }).expect(401);
      const problem = await http().post('/venues').set('authorization', alice).send({ name: 'X' }).expect(403);
      expect(problem.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it('creates a venue, its seats (409 on a taken position) and an event, and publishes it', async () => {
      const { venueId, eventId, seats, admin } = await publishedEvent(app, 2, 3);
      expect(seats).toHaveLength(6);
      const duplicate = await http().post(`/venues/${venueId}/seats`).set('authorization', admin).send({ seats: [{ row: 'A', number: 1, type: 'VIP' }] }).expect(409);
      expect(duplicate.body).toMatchObject({ status: 409, conflictingSeats: [{ row: 'A', number: 1 }] });
      const events = await streamOf(`event-${eventId}`);
      expect(events.map((e) => e.type)).toEqual(['EventCreated', 'EventPublished']);
      expect(events[0].data).toMatchObject({ prices: [{ seatType: 'VIP', priceMinor: 12000 }, { seatType: 'REGULAR', priceMinor: 4550 }, { seatType: 'ECONOMY', priceMinor: 1999 }] });
      // Who acted, encrypted under the organiser's key (docs/privacy.md): the log holds no plain user id.
      expect(events[1].metadata).toMatchObject({ userId: expect.stringMatching(/^pii:1:/), correlationId: expect.any(String), causationId: expect.stringMatching(/^http:/) });
      expect(JSON.stringify(events.map((e) => [e.data, e.metadata]))).not.toContain('organiser');
    });

    it.each([
      ['no name', { location: 'x' }],
      ['a name too long', { name: 'x'.repeat(256) }],
      ['a negative capacity', { name: 'x', capacity: -1 }],
      ['an unknown field', { name: 'x', owner: 'me' }],
      ['a wrong type', { name: 42 }],
    ])('refuses a venue with %s (400, nothing written)', async (_, body) => {
      const admin = await bearer('auth0|organiser', { permissions: ['catalog:write'] });
      const before = (await wholeLog(database.url)).length;
      const problem = await http().post('/venues').set('authorization', admin).send(body).expect(400);
      expect(problem.body).toMatchObject({ status: 400, detail: expect.any(String) });
      expect((await wholeLog(database.url)).length).toBe(before);
    });

    it('refuses events with absurd prices or dates, or an unknown venue', async () => {
      const { venueId, admin } = await publishedEvent(app, 1, 1);
      const base = { venueId, name: 'E', startTime: '2030-01-01T20:00:00Z', endTime: '2030-01-01T22:00:00Z' };
      for (const price of [-1, '12.345', 1e12, 'abc', null]) {
        await http().post('/events').set('authorization', admin).send({ ...base, prices: [{ seatType: 'VIP', price }] }).expect(400);
      }
      await http().post('/events').set('authorization', admin).send({ ...base, prices: [{ seatType: 'BALCONY', price: 1 }] }).expect(400);
      await http().post('/events').set('authorization', admin).send({ ...base, endTime: base.startTime, prices: [{ seatType: 'VIP', price: 1 }] }).expect(400);
      await http().post('/events').set('authorization', admin).send({ ...base, startTime: 'tomorrow', prices: [{ seatType: 'VIP', price: 1 }] }).expect(400);
      await http().post('/events').set('authorization', admin).send({ ...base, venueId: randomUUID(), prices: [{ seatType: 'VIP', price: 1 }] }).expect(404);
      await http().post('/events/not-a-uuid/publish').set('authorization', admin).expect(400);
      await http().post(`/events/${randomUUID()}/publish`).set('authorization', admin).expect(404);
    });

    it('changes prices, and cancels an event so that nothing more can be booked', async () => {
      const { eventId, seats, admin } = await publishedEvent(app, 1, 2);
      const changed = await http().put(`/events/${eventId}/prices`).set('authorization', admin).send({ prices: [{ seatType: 'VIP', price: '99.90' }] }).expect(200);
      expect(changed.body.position).toEqual(expect.any(String));
      const placed = await book(alice, eventId, [seats[0]]).expect(201);
      expect(placed.body.totalAmount).toBe('99.90');
      const cancelled = await http().post(`/events/${eventId}/cancel`).set('authorization', admin).expect(200);
      expect(cancelled.body).toEqual({ status: 'CANCELLED', position: expect.any(String) });
      await book(bob, eventId, [seats[1]]).expect(422);
      await http().put(`/events/${eventId}/prices`).set('authorization', admin).send({ prices: [{ seatType: 'VIP', price: 1 }] }).expect(422);
    });
  });

  it("cancels a cancelled event's bookings and refunds the paid ones", async () => {
    const { eventId, seats, admin } = await publishedEvent(app, 1, 3);
    const pending = await book(alice, eventId, [seats[0]]).expect(201);
    const paid = await book(bob, eventId, [seats[1]]).expect(201);
    const payment = await http().post(`/bookings/${paid.body.id}/payments`).set('authorization', bob).send({ paymentMethod: 'pm_card_visa' }).expect(202);
    await eventually(async () => ((await streamOf(`booking-${paid.body.id}`)).some((e) => e.type === 'BookingConfirmed') ? true : undefined));

    await http().post(`/events/${eventId}/cancel`).set('authorization', admin).expect(200);
    for (const booking of [pending, paid]) {
      const cancelled = await eventually(async () => (await streamOf(`booking-${booking.body.id}`)).find((e) => e.type === 'BookingCancelled'));
      expect(cancelled.data).toEqual({ bookingId: booking.body.id, reason: 'event-cancelled' });
      expect(cancelled.metadata).toMatchObject({ userId: 'system:follow-ups' });
    }
    const refund = await eventually(async () => (await streamOf(`payment-${payment.body.paymentId}`)).find((e) => e.type === 'PaymentRefunded'));
    expect(refund.data).toMatchObject({ bookingId: paid.body.id, amountMinor: 12000, reason: 'booking-cancelled' });
    const released = await eventually(async () => {
      const inventory = await streamOf(`seats-${eventId}`);
      return inventory.filter((e) => e.type === 'SeatsReleased').length === 2 ? inventory : undefined;
    });
    expect(released.map((e) => e.type)).toEqual(['SeatsReserved', 'SeatsReserved', 'SalesClosed', 'SeatsReleased', 'SeatsReleased']);
  });

  describe('bookings', () => {
    let eventId: string;
    let seats: SeatOfVenue[];
    beforeAll(async () => ({ eventId, seats } = await publishedEvent(app, 3, 10)));

    it('places a PENDING booking with the prices of booking time, in exact money', async () => {
      const placed = await book(alice, eventId, [seats[0], seats[10], seats[20]]).expect(201);
      expect(placed.body).toEqual({
        id: expect.any(String),
        status: 'PENDING',
        expiresAt: expect.any(String),
        totalAmount: '185.49', // 120.00 + 45.50 + 19.99
        currency: 'USD',
        items: [
          { seatId: seats[0].seatId, price: '120.00' },
          { seatId: seats[10].seatId, price: '45.50' },
          { seatId: seats[20].seatId, price: '19.99' },
        ],
        position: expect.any(String),
      });
      const holdMs = Date.parse(placed.body.expiresAt) - Date.now();
      expect(holdMs).toBeGreaterThan(590_000);
      expect(holdMs).toBeLessThanOrEqual(600_000);
    });

    it('tells a loser which seats conflicted, and gives cancelled seats to the next', async () => {
      const first = await book(alice, eventId, [seats[1], seats[2]]).expect(201);
      const lost = await book(bob, eventId, [seats[2], seats[3]]).expect(409);
      expect(lost.body).toMatchObject({ status: 409, conflictingSeatIds: [seats[2].seatId] });
      await http().post(`/bookings/${first.body.id}/cancel`).set('authorization', bob).expect(404); // not bob's
      const cancelled = await http().post(`/bookings/${first.body.id}/cancel`).set('authorization', alice).expect(200);
      expect(cancelled.body).toEqual({ status: 'CANCELLED', position: expect.any(String) });
      await http().post(`/bookings/${first.body.id}/cancel`).set('authorization', alice).expect(200); // again: no change
      await book(bob, eventId, [seats[2], seats[3]]).expect(201);
      expect((await streamOf(`booking-${first.body.id}`)).map((e) => e.type)).toEqual(['BookingPlaced', 'BookingCancelled']);
    });

    it('answers a retry with the same Idempotency-Key with the first answer, and another body with 422', async () => {
      const key = randomUUID();
      const first = await book(alice, eventId, [seats[4]], key).expect(201);
      const again = await book(alice, eventId, [seats[4]], key).expect(201);
      expect(again.body).toEqual(first.body);
      await book(alice, eventId, [seats[5]], key).expect(422);
      const bobsOwn = await book(bob, eventId, [seats[6]], key).expect(201); // keys belong to their user
      expect(bobsOwn.body.id).not.toBe(first.body.id);
      // Five identical requests at once: one booking.
      const burst = await Promise.all(Array.from({ length: 5 }, () => book(alice, eventId, [seats[7]], 'burst-key')));
      expect(new Set(burst.map((r) => r.status))).toEqual(new Set([201]));
      expect(new Set(burst.map((r) => r.body.id)).size).toBe(1);
    });

    it.each([
      ['an empty seat list', () => ({ eventId, seatIds: [] }), 400],
      ['a seat twice', () => ({ eventId, seatIds: [seats[8].seatId, seats[8].seatId] }), 400],
      ['more than MAX_SEATS_PER_BOOKING seats', () => ({ eventId, seatIds: seats.slice(10, 21).map((s) => s.seatId) }), 400],
      ['an invalid uuid', () => ({ eventId: 'nope', seatIds: [seats[8].seatId] }), 400],
      ['seat ids that are not strings', () => ({ eventId, seatIds: [1, 2] }), 400],
      ['an unknown event', () => ({ eventId: randomUUID(), seatIds: [seats[8].seatId] }), 404],
      ['a seat of another venue', () => ({ eventId, seatIds: [randomUUID()] }), 422],
    ])('refuses %s, writing nothing', async (_, body, status) => {
      const before = (await wholeLog(database.url)).length;
      const problem = await http().post('/bookings').set('authorization', alice).send(body()).expect(status);
      expect(problem.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(problem.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
      expect((await wholeLog(database.url)).length).toBe(before);
    });

    it('refuses an event that is not published (422), malformed JSON (400) and a huge body (413)', async () => {
      const admin = await bearer('auth0|organiser', { permissions: ['catalog:write'] });
      const { venueId } = await publishedEvent(app, 1, 1);
      const draft = await http().post('/events').set('authorization', admin)
        .send({ venueId, name: 'Draft', startTime: '2030-01-01T20:00:00Z', endTime: '2030-01-01T22:00:00Z', prices: [{ seatType: 'VIP', price: 1 }] }).expect(201);
      await http().post('/bookings').set('authorization', alice).send({ eventId: draft.body.id, seatIds: [seats[9].seatId] }).expect(422);
      await http().post('/bookings').set('authorization', alice).set('content-type', 'application/json').send('{"eventId":').expect(400);
      await http().post('/bookings').set('authorization', alice).send({ eventId, seatIds: Array.from({ length: 5_000 }, () => randomUUID()) }).expect(413);
      await http().post('/bookings').set('authorization', alice).set('idempotency-key', 'x'.repeat(300)).send({ eventId, seatIds: [seats[9].seatId] }).expect(400);
      await http().post('/bookings').send({ eventId, seatIds: [seats[9].seatId] }).expect(401);
    });
  });

  describe('payments', () => {
    let eventId: string;
    let seats: SeatOfVenue[];
    beforeAll(async () => ({ eventId, seats } = await publishedEvent(app, 2, 10)));

    const pay = (token: string, bookingId: string, paymentMethod: string, key?: string) => {
      const req = http().post(`/bookings/${bookingId}/payments`).set('authorization', token);
      if (key) req.set('idempotency-key', key);
      return req.send({ paymentMethod });
    };
    const bookingEvents = async (bookingId: string) => (await streamOf(`booking-${bookingId}`)).map((e) => e.type);

    it('confirms a booking paid with pm_card_visa, with an unguessable ticket reference', async () => {
      const booking = await book(alice, eventId, [seats[0]]).expect(201);
      const paid = await pay(alice, booking.body.id, 'pm_card_visa', 'pay-1').expect(202);
      expect(paid.body).toEqual({ paymentId: expect.any(String), status: 'PROCESSING', position: expect.any(String) });
      const again = await pay(alice, booking.body.id, 'pm_card_visa', 'pay-1').expect(202);
      expect(again.body.paymentId).toBe(paid.body.paymentId);

      const confirmed = await eventually(async () => (await streamOf(`booking-${booking.body.id}`)).find((e) => e.type === 'BookingConfirmed'));
      expect(confirmed.data).toEqual({ bookingId: booking.body.id, paymentId: paid.body.paymentId, ticketReference: expect.stringMatching(/^TKT-[\w-]{22}$/) });
      expect((await streamOf(`payment-${paid.body.paymentId}`)).map((e) => e.type)).toEqual(['PaymentRequested', 'PaymentProcessing', 'PaymentSucceeded']);
      await pay(alice, booking.body.id, 'pm_card_visa', 'pay-2').expect(409); // paid already
    });

    it('records a declined card with its reason, keeps the booking PENDING, and lets the buyer retry', async () => {
      const booking = await book(alice, eventId, [seats[1]]).expect(201);
      const declined = await pay(alice, booking.body.id, 'pm_card_chargeDeclined').expect(202);
      const failed = await eventually(async () => (await streamOf(`payment-${declined.body.paymentId}`)).find((e) => e.type === 'PaymentFailed'));
      expect(failed.data).toMatchObject({ attempt: 1, reason: 'Your card was declined.' });
      expect(await bookingEvents(booking.body.id)).toEqual(['BookingPlaced']);

      await pay(alice, booking.body.id, 'pm_card_visa').expect(202);
      await eventually(async () => ((await bookingEvents(booking.body.id)).includes('BookingConfirmed') ? true : undefined));
    });

    it("keeps payments private (404) and refuses unknown methods and unpayable bookings", async () => {
      const booking = await book(alice, eventId, [seats[2]]).expect(201);
      await pay(bob, booking.body.id, 'pm_card_visa').expect(404);
      await pay(alice, booking.body.id, 'pm_card_unheardOf').expect(400);
      await pay(alice, booking.body.id, 'visa').expect(400);
      await http().post(`/bookings/${booking.body.id}/cancel`).set('authorization', alice).expect(200);
      await pay(alice, booking.body.id, 'pm_card_visa').expect(422);
      expect(await streamOf(`payment-${booking.body.id}`)).toEqual([]);
    });

    it('refunds a success that arrives after the booking was cancelled, and never takes the seat from its new owner', async () => {
      const booking = await book(alice, eventId, [seats[3]]).expect(201);
      // The provider reports this one 6 s late; the test delivers the success itself, after the cancel.
      const paid = await pay(alice, booking.body.id, 'pm_card_visa_delayed').expect(202);
      const [processing] = (await streamOf(`payment-${paid.body.paymentId}`)).filter((e) => e.type === 'PaymentProcessing');
      // Cancelled first; then the success arrives, twice.
      await http().post(`/bookings/${booking.body.id}/cancel`).set('authorization', alice).expect(200);
      const bobs = await book(bob, eventId, [seats[3]]).expect(201);
      const body = JSON.stringify({ id: 'evt_late', type: 'payment.succeeded', data: { paymentId: paid.body.paymentId, attempt: 1, externalId: (processing.data as { externalId: string }).externalId, reason: null } });
      for (let i = 0; i < 2; i++) {
        await http().post('/payments/webhook').set('content-type', 'application/json').set('eventix-signature', signWebhook(body, DEVELOPMENT_WEBHOOK_SECRET)).send(body).expect(200);
      }
      const payment = await eventually(async () => {
        const events = await streamOf(`payment-${paid.body.paymentId}`);
        return events.some((e) => e.type === 'PaymentRefunded') ? events : undefined;
      });
      expect(payment.filter((e) => e.type === 'PaymentRefunded')).toHaveLength(1);
      expect(await bookingEvents(booking.body.id)).toEqual(['BookingPlaced', 'BookingCancelled']);
      expect(await bookingEvents(bobs.body.id)).toEqual(['BookingPlaced']);
      expect(doubleBookedSeats(await wholeLog(database.url)).size).toBe(0);
    });

    it('refuses webhooks without a valid, fresh signature', async () => {
      const body = JSON.stringify({ id: 'evt_x', type: 'payment.succeeded', data: { paymentId: randomUUID(), attempt: 1, externalId: 'pi_x', reason: null } });
      const post = (signature?: string) => {
        const req = http().post('/payments/webhook').set('content-type', 'application/json');
        if (signature) req.set('eventix-signature', signature);
        return req.send(body);
      };
      await post().expect(401);
      await post(signWebhook(body, 'another-secret-of-at-least-32-characters')).expect(401);
      await post(signWebhook(body, DEVELOPMENT_WEBHOOK_SECRET, Date.now() - 10 * 60_000)).expect(401);
      await post(signWebhook(body.replace('evt_x', 'evt_y'), DEVELOPMENT_WEBHOOK_SECRET)).expect(401);
      // Signed, but for a payment Eventix does not know: accepted and parked (test/money.e2e.spec.ts), so the provider stops retrying.
      await post(signWebhook(body, DEVELOPMENT_WEBHOOK_SECRET)).expect(200);
      expect(await streamOf(`payment-${JSON.parse(body).data.paymentId}`)).toEqual([]);
    });
  });
});
