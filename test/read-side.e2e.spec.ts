import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent, type SeatOfVenue } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';

/** The query half of the HTTP contract (SPEC §4): read models kept by the projectors, read-your-writes. */
describe('read side through HTTP', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let alice: string;
  let bob: string;
  let eventId: string;
  let venueId: string;
  let seats: SeatOfVenue[];
  const http = () => request(app.getHttpServer());
  const get = (path: string, position?: string, token?: string) => {
    const req = http().get(path);
    if (position) req.set('x-min-position', position);
    if (token) req.set('authorization', token);
    return req;
  };

  beforeAll(async () => {
    database = await createTestDatabase('read_side');
    app = await startApp({ DATABASE_URL: database.url });
    alice = await bearer('auth0|alice');
    bob = await bearer('auth0|bob');
    ({ eventId, venueId, seats } = await publishedEvent(app, 2, 5));
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const place = async (token: string, seatIds: string[]) =>
    (await http().post('/bookings').set('authorization', token).send({ eventId, seatIds }).expect(201)).body as { id: string; position: string };

  it('lists and shows events, with their prices, once the catalog has caught up', async () => {
    const admin = await bearer('auth0|organiser', { permissions: ['catalog:write'] });
    const published = await http().post(`/events/${eventId}/publish`).set('authorization', admin).expect(200);
    const list = await get('/events?status=PUBLISHED&limit=50', published.body.position).expect(200);
    expect(list.body).toMatchObject({ limit: 50, offset: 0 });
    const listed = list.body.items.find((e: { id: string }) => e.id === eventId);
    expect(listed).toEqual({
      id: eventId,
      venueId,
      name: 'Test Night',
      description: null,
      startTime: '2030-06-01T19:00:00.000Z',
      endTime: '2030-06-01T23:00:00.000Z',
      status: 'PUBLISHED',
      currency: 'USD',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      prices: [
        { seatType: 'VIP', price: '120.00' },
        { seatType: 'REGULAR', price: '45.50' },
        { seatType: 'ECONOMY', price: '19.99' },
      ],
    });
    expect((await get(`/events/${eventId}`).expect(200)).body).toEqual(listed);
    await get(`/events/${randomUUID()}`).expect(404);
    await get('/events?status=SOLD_OUT').expect(400);
    await get('/events?limit=1000').expect(400);
    await get('/events?limit=-1').expect(400);
  });

  it('shows the seat map: AVAILABLE, then RESERVED by a pending booking, then SOLD once paid', async () => {
    const fresh = await get(`/events/${eventId}/seat-map`).expect(200);
    expect(fresh.body.counts).toEqual({ AVAILABLE: 10, RESERVED: 0, SOLD: 0, HELD: 0, total: 10 });
    expect(fresh.body.seats[0]).toEqual({ seatId: seats[0].seatId, section: '', row: 'A', number: 1, type: 'VIP', rank: 4, price: '120.00', status: 'AVAILABLE' }); // rank: 4 half seats from the middle of 1-5

    const booking = await place(alice, [seats[0].seatId, seats[5].seatId]);
    const reserved = await get(`/events/${eventId}/seat-map`, booking.position).expect(200);
    expect(reserved.body.counts).toEqual({ AVAILABLE: 8, RESERVED: 2, SOLD: 0, HELD: 0, total: 10 });
    expect(reserved.body.seats.filter((s: { status: string }) => s.status === 'RESERVED').map((s: { seatId: string }) => s.seatId).sort()).toEqual(
      [seats[0].seatId, seats[5].seatId].sort(),
    );

    await http().post(`/bookings/${booking.id}/payments`).set('authorization', alice).send({ paymentMethod: 'pm_card_visa' }).expect(202);
    let confirmed: { status: string; ticketReference: string; payment: { status: string } } | undefined;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      confirmed = (await get(`/bookings/${booking.id}`, undefined, alice).expect(200)).body;
      if (confirmed?.status === 'CONFIRMED' && confirmed.payment?.status === 'SUCCESS') break;
    }
    expect(confirmed).toMatchObject({ status: 'CONFIRMED', ticketReference: expect.stringMatching(/^TKT-/), payment: { status: 'SUCCESS', failureReason: null } });
    const sold = await get(`/events/${eventId}/seat-map`).expect(200);
    expect(sold.body.counts).toEqual({ AVAILABLE: 8, RESERVED: 0, SOLD: 2, HELD: 0, total: 10 });

    // The map is served from a cache: a change of prices alone, no seat changing, must show too.
    const admin = await bearer('auth0|organiser', { permissions: ['catalog:write'] });
    const repriced = await http().put(`/events/${eventId}/prices`).set('authorization', admin).send({ prices: [{ seatType: 'VIP', price: '130.00' }] }).expect(200);
    const after = await get(`/events/${eventId}/seat-map`, repriced.body.position).expect(200);
    expect(after.body.seats[0]).toMatchObject({ seatId: seats[0].seatId, price: '130.00', status: 'SOLD' });
    const restored = await http().put(`/events/${eventId}/prices`).set('authorization', admin).send({ prices: [{ seatType: 'VIP', price: '120.00' }] }).expect(200);
    expect((await get(`/events/${eventId}/seat-map`, restored.body.position).expect(200)).body.seats[0].price).toBe('120.00');
  });

  it("shows a user their own bookings, newest first, filtered and paged, and never someone else's", async () => {
    const first = await place(bob, [seats[1].seatId]);
    const second = await place(bob, [seats[2].seatId]);
    const cancelled = await http().post(`/bookings/${first.id}/cancel`).set('authorization', bob).expect(200);

    const mine = await get('/me/bookings', cancelled.body.position, bob).expect(200);
    expect(mine.body.items.map((b: { id: string }) => b.id)).toEqual([second.id, first.id]);
    expect(mine.body.items[0]).toEqual({
      id: second.id,
      eventId,
      status: 'PENDING',
      totalAmount: '120.00',
      currency: 'USD',
      ticketReference: null,
      expiresAt: expect.any(String),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      items: [{ seatId: seats[2].seatId, price: '120.00' }],
      payment: null,
    });
    expect((await get('/me/bookings?status=CANCELLED', undefined, bob).expect(200)).body.items.map((b: { id: string }) => b.id)).toEqual([first.id]);
    expect((await get('/me/bookings?limit=1&offset=1', undefined, bob).expect(200)).body.items.map((b: { id: string }) => b.id)).toEqual([first.id]);
    await get(`/bookings/${first.id}`, undefined, alice).expect(404);
    await get(`/bookings/${first.id}/history`, undefined, alice).expect(404);
    await get('/me/bookings').expect(401);
  });

  it("tells a booking's history from the event store: its events and its payment's, in order, with who and why", async () => {
    const booking = await place(alice, [seats[3].seatId]);
    await http().post(`/bookings/${booking.id}/payments`).set('authorization', alice).send({ paymentMethod: 'pm_card_chargeDeclined' }).expect(202);
    let history: { type: string; metadata: Record<string, unknown>; stateAfter: unknown }[] = [];
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && !history.some((e) => e.type === 'PaymentFailed'); await new Promise((r) => setTimeout(r, 50))) {
      history = (await get(`/bookings/${booking.id}/history`, undefined, alice).expect(200)).body;
    }
    expect(history.map((e) => e.type)).toEqual(['BookingPlaced', 'PaymentRequested', 'PaymentProcessing', 'PaymentFailed']);
    expect(history[0]).toMatchObject({
      stream: `booking-${booking.id}`,
      revision: 0,
      data: { bookingId: booking.id, userId: 'auth0|alice' },
      metadata: { userId: 'auth0|alice', correlationId: expect.any(String), causationId: expect.stringMatching(/^http:/), hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(history[3].metadata).toMatchObject({ userId: null, causationId: expect.stringMatching(/^provider:evt_test_/) });
    // The state after each step, as `eventix state` tells it.
    expect(history.map((e) => e.stateAfter)).toEqual([
      expect.objectContaining({ status: 'PENDING', userId: 'auth0|alice', totalAmount: '120.00', payment: null }),
      expect.objectContaining({ status: 'PENDING', payment: expect.objectContaining({ status: 'PENDING', attempt: 1 }) }),
      expect.objectContaining({ status: 'PENDING', payment: expect.objectContaining({ status: 'PROCESSING' }) }),
      expect.objectContaining({ status: 'PENDING', payment: expect.objectContaining({ status: 'FAILED', failureReason: expect.any(String) }) }),
    ]);
  });

  it('waits for X-Min-Position, refuses a malformed one, and gives up with 503 and Retry-After', async () => {
    await get('/events', 'not-a-position').expect(400);
    const future = '99999999999999999999:00000000000000000001';
    const started = Date.now();
    const late = await get('/events', future).expect(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
    expect(late.headers['retry-after']).toBe('1');
    expect(late.body).toMatchObject({ status: 503, detail: expect.stringContaining('not reached') });
  });

  it('reports each projector in /health', async () => {
    const health = await get('/health').expect(200);
    expect(health.body.info.projections).toEqual({
      status: 'up',
      projectors: ['catalog', 'booking', 'payment', 'check-in'].map((projector) => ({ projector, runsHere: true, position: expect.any(String), parked: 0, fault: null })),
    });
  });
});
