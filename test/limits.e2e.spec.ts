import type { NestExpressApplication } from '@nestjs/platform-express';
import { Client } from 'pg';
import request from 'supertest';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { wholeLog } from './support/event-log.js';
import { eventually } from './support/eventually.js';
import { recordFigure } from './support/figures.js';

/**
 * What a hostile tester found (issue #16): money the read models cannot hold, one account holding
 * a venue, sales and refunds around an event that has started, a hold kept by a stuck projector.
 * Each refusal is a 4xx problem and leaves nothing written.
 */
describe('limits a box office depends on', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let other: NestExpressApplication;
  const http = (on = app) => request(on.getHttpServer());
  const env = () => ({ DATABASE_URL: database.url, BOOKING_RATE_LIMIT: '0', MAX_SEATS_PER_USER_PER_EVENT: '5' });

  beforeAll(async () => {
    database = await createTestDatabase('limits');
    app = await startApp(env());
  });
  afterAll(async () => {
    await other?.close();
    await app?.close();
    await database?.drop();
  });

  const correlated = async (correlationId: string) => (await wholeLog(database.url)).filter((e) => e.metadata.correlationId === correlationId);

  it('refuses a booking whose total is more than DECIMAL(10,2) holds; one seat at the highest price is fine', async () => {
    const { eventId, seats, admin } = await publishedEvent(app, 1, 5);
    await http().put(`/events/${eventId}/prices`).set('authorization', admin).send({ prices: [{ seatType: 'VIP', price: '99999999.99' }] }).expect(200);
    const alice = await bearer('auth0|big-spender');
    const refused = await http().post('/bookings').set('authorization', alice).set('x-correlation-id', 'too-much-money').send({ eventId, seatIds: [seats[0].seatId, seats[1].seatId] }).expect(400);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body.detail).toMatch(/199999999\.98.*99999999\.99/);
    expect(await correlated('too-much-money')).toEqual([]);
    const one = await http().post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seats[0].seatId] }).expect(201);
    expect(one.body.totalAmount).toBe('99999999.99');
    // …and the owner sees it: the read model could store it.
    await eventually(async () => (await http().get(`/bookings/${one.body.id}`).set('authorization', alice)).status === 200, 10_000, 'the booking readable');
  });

  it('holds one buyer to MAX_SEATS_PER_USER_PER_EVENT over PENDING and CONFIRMED bookings, on every instance', async () => {
    other = await startApp(env());
    const { eventId, seats } = await publishedEvent(app, 2, 10);
    const [alice, bob] = [await bearer('auth0|hoarder'), await bearer('auth0|neighbour')];
    const first = await http().post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seats[0].seatId, seats[1].seatId] }).expect(201);
    await http().post(`/bookings/${first.body.id}/payments`).set('authorization', alice).send({ paymentMethod: 'pm_card_visa' }).expect(202);
    await eventually(async () => (await http().get(`/bookings/${first.body.id}`).set('authorization', alice)).body.status === 'CONFIRMED', 20_000, 'the first booking confirmed');

    // Ten single seats at once, through two instances: three more fit beside the two confirmed.
    const attempts = await Promise.all(
      seats.slice(2, 12).map((seat, i) => http(i % 2 ? other : app).post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seat.seatId] })),
    );
    expect(attempts.filter((a) => a.status === 201)).toHaveLength(3);
    const refused = attempts.filter((a) => a.status === 409);
    expect(refused).toHaveLength(7);
    expect(refused[0].body).toMatchObject({ type: 'https://eventix.dev/problems/seat-limit-reached', status: 409, limit: 5 });
    // Someone else is not limited by her; and a cancelled booking's seats count no more.
    await http().post('/bookings').set('authorization', bob).send({ eventId, seatIds: seats.slice(12, 17).map((s) => s.seatId) }).expect(201);
    const held = attempts.find((a) => a.status === 201)!;
    await http().post(`/bookings/${held.body.id}/cancel`).set('authorization', alice).expect(200);
    await http().post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seats[17].seatId] }).expect(201);
    await http().post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seats[18].seatId] }).expect(409);
    recordFigure('Limits', 'seats one user got of 10 racing requests through 2 instances (limit 5, 2 held)', attempts.filter((a) => a.status === 201).length);
  });

  describe('an event that has started', () => {
    it('cannot be created in the past', async () => {
      const admin = await bearer('auth0|organiser', { permissions: ['catalog:write'] });
      const venue = await http().post('/venues').set('authorization', admin).send({ name: 'Old Hall', location: 'X', capacity: 1 }).expect(201);
      const past = await http()
        .post('/events')
        .set('authorization', admin)
        .send({ venueId: venue.body.id, name: 'Yesterday', startTime: '2001-06-01T19:00:00Z', endTime: '2001-06-01T23:00:00Z', prices: [{ seatType: 'VIP', price: 10 }] })
        .expect(400);
      expect(past.body.detail).toMatch(/future/);
    });

    it('is no longer published or sold, and its confirmed bookings are no longer cancelled by their owners', async () => {
      const admin = await bearer('auth0|organiser', { permissions: ['catalog:write'] });
      const venue = await http().post('/venues').set('authorization', admin).send({ name: 'Soon Hall', location: 'X', capacity: 3 }).expect(201);
      const added = await http().post(`/venues/${venue.body.id}/seats`).set('authorization', admin)
        .send({ seats: [1, 2, 3].map((number) => ({ row: 'A', number, type: 'VIP' })) }).expect(201);
      const seatIds: string[] = added.body.seats.map((s: { seatId: string }) => s.seatId);
      const event = (startsIn: number) => ({
        venueId: venue.body.id, name: 'Soon', startTime: new Date(Date.now() + startsIn).toISOString(), endTime: new Date(Date.now() + 3_600_000).toISOString(), prices: [{ seatType: 'VIP', price: 10 }],
      });
      const soon = event(6_000);
      const sold = await http().post('/events').set('authorization', admin).send(soon).expect(201);
      const unpublished = await http().post('/events').set('authorization', admin).send(soon).expect(201);
      await http().post(`/events/${sold.body.id}/publish`).set('authorization', admin).expect(200);
      const alice = await bearer('auth0|early-bird');
      const booking = await http().post('/bookings').set('authorization', alice).send({ eventId: sold.body.id, seatIds: [seatIds[0]] }).expect(201);
      await http().post(`/bookings/${booking.body.id}/payments`).set('authorization', alice).send({ paymentMethod: 'pm_card_visa' }).expect(202);
      await eventually(async () => (await http().get(`/bookings/${booking.body.id}`).set('authorization', alice)).body.status === 'CONFIRMED', 5_000, 'confirmed');

      await new Promise((resolve) => setTimeout(resolve, Date.parse(soon.startTime) - Date.now() + 50));
      const publish = await http().post(`/events/${unpublished.body.id}/publish`).set('authorization', admin).expect(422);
      expect(publish.body).toMatchObject({ type: 'https://eventix.dev/problems/event-started' });
      const late = await http().post('/bookings').set('authorization', alice).send({ eventId: sold.body.id, seatIds: [seatIds[1]] }).expect(422);
      expect(late.body).toMatchObject({ type: 'https://eventix.dev/problems/event-started' });
      const cancel = await http().post(`/bookings/${booking.body.id}/cancel`).set('authorization', alice).expect(422);
      expect(cancel.body).toMatchObject({ type: 'https://eventix.dev/problems/event-started' });
      expect((await http().get(`/bookings/${booking.body.id}`).set('authorization', alice)).body.status).toBe('CONFIRMED');
    });
  });
});

/** The hold expiry reads what the follow-ups reactor keeps, not the booking read model: a stuck booking projector holds no seat. */
describe('hold expiry without the booking read model', () => {
  it('ends an expired hold while the booking projector cannot store the booking', async () => {
    const database = await createTestDatabase('holds');
    const app = await startApp({ DATABASE_URL: database.url, BOOKING_HOLD_SECONDS: '2', BOOKING_EXPIRY_SWEEP_SECONDS: '1' });
    const blocker = new Client({ connectionString: database.url });
    await blocker.connect();
    try {
      const { eventId, seats } = await publishedEvent(app, 1, 5);
      // The booking projector cannot store a booking: its table is gone. (A lock it waits for would not do: a waiting
      // transaction that has written holds back every reader of the PostgreSQL log, the follow-ups reactor too.)
      await blocker.query('ALTER TABLE booking.bookings RENAME TO bookings_away');
      const alice = await bearer('auth0|stuck');
      const booking = await request(app.getHttpServer()).post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seats[0].seatId] }).expect(201);
      const released = await eventually(async () => {
        const log = await wholeLog(database.url);
        return log.find((e) => e.type === 'SeatsReleased' && (e.data as { bookingId: string }).bookingId === booking.body.id);
      }, 20_000, 'the seats released');
      expect(released.data).toMatchObject({ seatIds: [seats[0].seatId], reason: 'booking-cancelled' });
      const [{ count }] = (await blocker.query(`SELECT count(*)::int AS count FROM booking.bookings_away`)).rows;
      expect(count).toBe(0); // the read model never saw the booking
    } finally {
      await blocker.end();
      await app.close();
      await database.drop();
    }
  }, 60_000);
});
