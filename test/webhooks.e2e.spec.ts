import type { NestExpressApplication } from '@nestjs/platform-express';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent, type SeatOfVenue } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { wholeLog } from './support/event-log.js';
import { eventually } from './support/eventually.js';
import { exitOf, freePort, ready, startService } from './support/process.js';
import { type Received, webhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

/** Quick retries, and "failing" after 2 s instead of a day: the same code, on a test's clock. */
const FAST = { WEBHOOK_RETRY_BASE_SECONDS: '0.05', WEBHOOK_RETRY_MAX_SECONDS: '0.4', WEBHOOK_FAILING_AFTER_SECONDS: '2', WEBHOOK_TIMEOUT_SECONDS: '1', BOOKING_RATE_LIMIT: '0' };

/** What a receiver does with Eventix-Signature, written from docs/integration-events.md with node:crypto only. */
const signatureValid = (received: Received, secret: string): boolean => {
  const fields = Object.fromEntries(String(received.headers['eventix-signature']).split(',').map((part) => part.split('=') as [string, string]));
  const expected = createHmac('sha256', secret).update(`${fields.t}.${received.raw}`).digest();
  const given = Buffer.from(fields.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) && Math.abs(Date.now() / 1000 - Number(fields.t)) < 300;
};

describe('outbound webhooks', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let eventId: string;
  let seats: SeatOfVenue[];
  let next = 0;
  const receivers: WebhookReceiver[] = [];
  const http = () => request(app.getHttpServer());
  const admin = () => bearer('auth0|integrator', { permissions: ['webhooks:write'] });
  const alice = () => bearer('auth0|alice');

  const receiver = async (...args: Parameters<typeof webhookReceiver>) => {
    const created = await webhookReceiver(...args);
    receivers.push(created);
    return created;
  };
  const subscribe = async (url: string, eventTypes = ['booking.reserved', 'booking.confirmed', 'booking.cancelled', 'payment.succeeded']) =>
    (await http().post('/webhooks').set('authorization', await admin()).send({ url, eventTypes }).expect(201)).body as { id: string; secret: string; position: string };
  /** Each booking by a buyer of its own: one buyer may hold only so many seats of an event. */
  const buyers = new Map<string, string>();
  const book = async (count = 1) => {
    const picked = seats.slice(next, (next += count)).map((seat) => seat.seatId);
    const buyer = await bearer(`auth0|buyer-${next}`);
    const { body } = await http().post('/bookings').set('authorization', buyer).send({ eventId, seatIds: picked }).expect(201);
    buyers.set(body.id, buyer);
    return body as { id: string };
  };
  const pay = async (bookingId: string) => {
    await http().post(`/bookings/${bookingId}/payments`).set('authorization', buyers.get(bookingId)!).send({ paymentMethod: 'pm_card_visa' }).expect(202);
  };
  const cancel = async (bookingId: string) => http().post(`/bookings/${bookingId}/cancel`).set('authorization', buyers.get(bookingId)!).expect(200);
  const webhookState = async (id: string) => ((await http().get('/webhooks').set('authorization', await admin()).expect(200)).body.webhooks as { id: string; state: string }[]).find((w) => w.id === id);
  const typesOf = (received: Received[], subject: string) => received.filter((r) => r.body.data.bookingId === subject).map((r) => r.body.type);

  beforeAll(async () => {
    database = await createTestDatabase('webhooks');
    app = await startApp({ DATABASE_URL: database.url, ...FAST });
    ({ eventId, seats } = await publishedEvent(app, 10, 20));
  });
  afterAll(async () => {
    await app?.close();
    for (const r of receivers) await r.close().catch(() => undefined);
    await database?.drop();
  });

  it('POSTs each subscribed event once, as the Kafka envelope, signed with the secret it answered at creation', async () => {
    const endpoint = await receiver();
    const webhook = await subscribe(endpoint.url, ['booking.reserved', 'booking.confirmed', 'payment.succeeded']);
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const booking = await book(2);
    await pay(booking.id);
    await eventually(() => typesOf(endpoint.received, booking.id).length === 2 && endpoint.received.some((r) => r.body.type === 'payment.succeeded'), 30_000, 'three deliveries');
    // One booking's events in the order they happened, the payment's between (its subject is the payment).
    expect(endpoint.received.map((r) => r.body.type)).toEqual(['booking.reserved', 'payment.succeeded', 'booking.confirmed']);
    for (const received of endpoint.received) {
      expect(signatureValid(received, webhook.secret)).toBe(true);
      expect(signatureValid(received, 'whsec_someone-else')).toBe(false);
      expect(received.headers['eventix-event-id']).toBe(received.body.id);
      expect(received.headers['eventix-event-type']).toBe(received.body.type);
      expect(received.headers['content-type']).toBe('application/json');
      expect(received.headers['eventix-position']).toMatch(/^\d{20}:\d{20}$/);
    }
    expect(endpoint.received[0].body).toEqual({
      id: expect.any(String), type: 'booking.reserved', version: 1, time: expect.any(String), correlationId: expect.any(String), causationId: expect.any(String), subject: booking.id,
      data: { bookingId: booking.id, eventId, userId: 'auth0|buyer-2', items: expect.any(Array), totalAmount: expect.any(String), currency: 'USD', expiresAt: expect.any(String) },
    });
    // The ids are the log's: a receiver de-duplicates on them.
    const logged = (await wholeLog(database.url)).filter((e) => e.streamName === `booking-${booking.id}`).map((e) => e.metadata.eventId);
    expect(logged).toContain(endpoint.received[0].body.id);
    const deliveries = (await http().get(`/webhooks/${webhook.id}/deliveries`).set('authorization', await admin()).expect(200)).body;
    expect(deliveries.items).toHaveLength(3);
    expect(deliveries.items.every((d: { outcome: string; attempt: number; statusCode: number }) => d.outcome === 'DELIVERED' && d.attempt === 1 && d.statusCode === 200)).toBe(true);
  });

  it('tries a failed delivery again, with backoff, until the endpoint takes it: two failures, then success', async () => {
    const endpoint = await receiver((_, index) => (index < 2 ? { status: 503 } : { status: 200 }));
    const webhook = await subscribe(endpoint.url, ['booking.reserved']);
    const booking = await book();
    await eventually(() => endpoint.delivered().length === 1, 30_000, 'the third attempt');
    expect(endpoint.received.map((r) => [r.body.id, r.headers['eventix-delivery-attempt'], r.status])).toEqual([
      [endpoint.received[0].body.id, '1', 503],
      [endpoint.received[0].body.id, '2', 503],
      [endpoint.received[0].body.id, '3', 200],
    ]);
    expect(endpoint.received[0].body.subject).toBe(booking.id);
    expect(endpoint.received[1].at - endpoint.received[0].at).toBeGreaterThanOrEqual(20); // a pause, not a loop
    const deliveries = await eventually(async () => {
      const { body } = await http().get(`/webhooks/${webhook.id}/deliveries`).set('authorization', await admin()).expect(200);
      return body.items.length === 3 ? body.items : undefined;
    }, 10_000, 'three attempts listed');
    expect(deliveries.map((d: { attempt: number; outcome: string; statusCode: number }) => [d.attempt, d.outcome, d.statusCode])).toEqual([[3, 'DELIVERED', 200], [2, 'FAILED', 503], [1, 'FAILED', 503]]);
    expect(deliveries[1].error).toBe('HTTP 503: Service Unavailable try later');
    const failures = (await http().get(`/webhooks/${webhook.id}/deliveries?outcome=FAILED`).set('authorization', await admin()).expect(200)).body.items;
    expect(failures).toHaveLength(2);
    expect((await webhookState(webhook.id))?.state).toBe('delivering');
  });

  it("keeps one booking's events in order while it sends many bookings' side by side, through slow answers and failures", async () => {
    // Down at first, so that the bookings' events pile up and are sent together, several of one booking in one batch.
    const endpoint = await receiver(() => ({ status: 503 }));
    await subscribe(endpoint.url);
    const bookings = await Promise.all(Array.from({ length: 12 }, () => book()));
    await Promise.all(bookings.map((b, i) => (i % 2 === 0 ? pay(b.id) : cancel(b.id))));
    await eventually(() => endpoint.received.length > 0, 10_000, 'a first attempt');
    await new Promise((resolve) => setTimeout(resolve, 500)); // the payments' outcomes are in the log too
    // Then up: every fifth request fails, answers take up to 15 ms, so deliveries of different bookings overlap.
    endpoint.answer((_, index) => (index % 5 === 4 ? { status: 500 } : { status: 200, delayMs: index % 15 }));
    await eventually(() => bookings.every((b) => typesOf(endpoint.delivered(), b.id).length === 2), 60_000, 'every booking delivered');
    bookings.forEach((b, i) => {
      expect(typesOf(endpoint.delivered(), b.id)).toEqual(i % 2 === 0 ? ['booking.reserved', 'booking.confirmed'] : ['booking.reserved', 'booking.cancelled']);
      // …and nothing of a booking was sent before the one before it had been taken.
      const attempts = endpoint.received.filter((r) => r.body.data.bookingId === b.id);
      const firstReserved = attempts.findIndex((r) => r.body.type === 'booking.reserved' && r.status === 200);
      expect(attempts.findIndex((r) => r.body.type !== 'booking.reserved')).toBeGreaterThan(firstReserved);
    });
    // Different bookings' requests did overlap.
    expect(endpoint.maxInFlight()).toBeGreaterThan(1);
  });

  it('a dead endpoint holds back only itself: the healthy one gets everything at once; the dead one is marked failing, then catches up in order when it is back', async () => {
    const healthy = await receiver();
    const dead = await receiver(() => 'hang'); // no answer: each attempt waits out the 1 s timeout
    const good = await subscribe(healthy.url);
    const bad = await subscribe(dead.url);
    const bookings = [await book(), await book(), await book()];
    for (const b of bookings) await cancel(b.id);
    await eventually(() => bookings.every((b) => typesOf(healthy.delivered(), b.id).length === 2), 15_000, 'the healthy endpoint to get every event');
    expect(dead.delivered()).toHaveLength(0);

    const failing = await eventually(async () => {
      const state = await webhookState(bad.id);
      return state?.state === 'failing' ? state : undefined;
    }, 20_000, 'the dead webhook to be marked failing');
    expect(failing).toMatchObject({ failingSince: expect.any(String), retryingSince: expect.any(String), lastError: 'no answer within 1 s' });
    expect((await webhookState(good.id))?.state).toBe('delivering');
    const health = (await http().get('/health').expect(200)).body;
    expect(health.status).toBe('degraded');
    expect(health.details.webhooks.status).toBe('degraded');
    expect(health.details.webhooks.webhooks.find((w: { webhookId: string }) => w.webhookId === bad.id)).toMatchObject({ state: 'failing' });
    const metrics = (await http().get('/metrics').expect(200)).text;
    expect(metrics).toContain(`eventix_webhook_failing{webhook="${bad.id}"} 1`);
    expect(metrics).toContain(`eventix_webhook_failing{webhook="${good.id}"} 0`);
    expect(metrics).toMatch(new RegExp(`eventix_webhook_deliveries_total\\{webhook="${bad.id}",outcome="FAILED"\\} [1-9]`));

    dead.answer(() => ({ status: 200 }));
    await eventually(() => bookings.every((b) => typesOf(dead.delivered(), b.id).length === 2), 20_000, 'the mended endpoint to catch up');
    expect(bookings.map((b) => typesOf(dead.delivered(), b.id))).toEqual(bookings.map(() => ['booking.reserved', 'booking.cancelled']));
    expect(await eventually(async () => ((await webhookState(bad.id))?.state === 'delivering' ? true : undefined), 10_000, 'no longer failing')).toBe(true);
    expect((await http().get('/metrics').expect(200)).text).toContain(`eventix_webhook_failing{webhook="${bad.id}"} 0`);
  });

  it('sends again the events after a position when asked, with the ids of the first time', async () => {
    const endpoint = await receiver();
    const webhook = await subscribe(endpoint.url, ['booking.reserved', 'booking.cancelled']);
    const [first, second] = [await book(), await book()];
    await cancel(first.id);
    await cancel(second.id);
    await eventually(() => endpoint.delivered().length === 4, 20_000, 'four deliveries');
    const sent = endpoint.delivered().map((r) => r.body.id);
    const from = String(endpoint.received[0].headers['eventix-position']);
    const accepted = await http().post(`/webhooks/${webhook.id}/replay`).set('authorization', await admin()).send({ fromPosition: from }).expect(202);
    expect(accepted.body.position).toMatch(/^\d{20}:\d{20}$/);
    await eventually(() => endpoint.delivered().length === 7, 20_000, 'the three after the first sent again');
    // The same events again; one booking's in order, two bookings' in either order (they go at once).
    const again = endpoint.delivered().slice(4).map((r) => r.body.id);
    expect([...again].sort()).toEqual(sent.slice(1).sort());
    expect(endpoint.delivered().slice(4).filter((r) => r.body.data.bookingId === second.id).map((r) => r.body.type)).toEqual(['booking.reserved', 'booking.cancelled']);
    // A position past what was delivered sends nothing again and skips nothing.
    const ahead = `${'9'.repeat(20)}:${'9'.repeat(20)}`;
    await http().post(`/webhooks/${webhook.id}/replay`).set('authorization', await admin()).send({ fromPosition: ahead }).expect(202);
    const third = await book();
    await eventually(() => endpoint.delivered().some((r) => r.body.subject === third.id), 20_000, 'the next event, not skipped');
    expect(endpoint.delivered()).toHaveLength(8);
    const replayed = (await wholeLog(database.url)).filter((e) => e.type === 'WebhookReplayRequested');
    expect(replayed.map((e) => e.data)).toEqual([{ webhookId: webhook.id, fromPosition: from }, { webhookId: webhook.id, fromPosition: ahead }]);
    expect(replayed[0].metadata.userId).toMatch(/^pii:1:/); // the integrator, encrypted (docs/privacy.md)
  });

  it('lists webhooks without their secrets; a deleted one gets nothing more, and its deliveries go with it', async () => {
    const endpoint = await receiver();
    const webhook = await subscribe(endpoint.url, ['booking.reserved']);
    const { body } = await http().get('/webhooks').set('authorization', await admin()).expect(200);
    const listed = body.webhooks.find((w: { id: string }) => w.id === webhook.id);
    expect(listed).toEqual({
      id: webhook.id, url: endpoint.url, eventTypes: ['booking.reserved'], createdAt: expect.any(String), state: 'delivering',
      position: expect.any(String), retryingSince: null, failingSince: null, lastError: null,
    });
    expect(JSON.stringify(body)).not.toContain(webhook.secret);
    await http().delete(`/webhooks/${webhook.id}`).set('authorization', await admin()).expect(200);
    await http().delete(`/webhooks/${webhook.id}`).set('authorization', await admin()).expect(404);
    await http().get(`/webhooks/${webhook.id}/deliveries`).set('authorization', await admin()).expect(404);
    await http().post(`/webhooks/${webhook.id}/replay`).set('authorization', await admin()).send({ fromPosition: webhook.position }).expect(404);
    // Once every instance has seen the deletion (it polls twice a second), nothing more goes out.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = endpoint.received.length;
    await book();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(endpoint.received).toHaveLength(before);
    const [{ count }] = await app.get(DataSource).query(`SELECT count(*)::int AS count FROM webhooks.deliveries WHERE webhook_id = $1`, [webhook.id]);
    expect(count).toBe(0);
  });

  it('refuses bad subscriptions with a 400 problem and writes nothing; needs webhooks:write', async () => {
    const before = (await wholeLog(database.url)).length;
    const refused: [unknown, RegExp][] = [
      [{ url: 'ftp://127.0.0.1/x', eventTypes: ['booking.reserved'] }, /url/],
      [{ url: 'http://user:secret@127.0.0.1/x', eventTypes: ['booking.reserved'] }, /user name or password/],
      [{ url: 'http://10.0.0.7/hooks', eventTypes: ['booking.reserved'] }, /10\.0\.0\.7 is not a public address \(private\)/],
      [{ url: 'http://169.254.169.254/latest/meta-data', eventTypes: ['booking.reserved'] }, /not a public address \(linkLocal\)/],
      [{ url: 'http://[::ffff:192.168.1.1]/', eventTypes: ['booking.reserved'] }, /not a public address/],
      [{ url: 'http://0.0.0.0:8080/', eventTypes: ['booking.reserved'] }, /not a public address/],
      [{ url: 'http://no-such-host.invalid/', eventTypes: ['booking.reserved'] }, /does not resolve/],
      [{ url: `http://127.0.0.1/${'a'.repeat(2_100)}`, eventTypes: ['booking.reserved'] }, /url/],
      [{ url: 'not a url', eventTypes: ['booking.reserved'] }, /url/],
      [{ url: 'http://127.0.0.1/x', eventTypes: [] }, /eventTypes/],
      [{ url: 'http://127.0.0.1/x', eventTypes: ['booking.reserved', 'booking.reserved'] }, /eventTypes/],
      [{ url: 'http://127.0.0.1/x', eventTypes: ['BookingPlaced'] }, /eventTypes/],
      [{ url: 'http://127.0.0.1/x' }, /eventTypes/],
      [{ url: 42, eventTypes: ['booking.reserved'] }, /url/],
    ];
    for (const [body, detail] of refused) {
      const { body: problem } = await http().post('/webhooks').set('authorization', await admin()).send(body as object).expect(400).expect('content-type', /application\/problem\+json/);
      expect(problem.detail).toMatch(detail);
    }
    const webhook = await subscribe('http://127.0.0.1:9/unused', ['event.published']);
    for (const fromPosition of ['12', 'a:b', '1:2:3', '', 7]) {
      await http().post(`/webhooks/${webhook.id}/replay`).set('authorization', await admin()).send({ fromPosition }).expect(400);
    }
    await http().get('/webhooks/not-a-uuid/deliveries').set('authorization', await admin()).expect(400);
    await http().get(`/webhooks/${randomUUID()}/deliveries`).set('authorization', await admin()).expect(404);
    await http().get(`/webhooks/${webhook.id}/deliveries?outcome=LOST`).set('authorization', await admin()).expect(400);
    expect((await wholeLog(database.url)).length).toBe(before + 1);
    for (const token of [await alice(), await bearer('auth0|organiser', { permissions: ['catalog:write'] })]) {
      await http().post('/webhooks').set('authorization', token).send({ url: 'http://127.0.0.1/x', eventTypes: ['booking.reserved'] }).expect(403);
      await http().get('/webhooks').set('authorization', token).expect(403);
    }
    await http().get('/webhooks').expect(401);
    await http().delete(`/webhooks/${webhook.id}`).set('authorization', await admin()).expect(200);
  });
});

describe('outbound webhooks across a restart', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication | undefined;
  let endpoint: WebhookReceiver | undefined;
  afterAll(async () => {
    await app?.close();
    await endpoint?.close();
    await database?.drop();
  });

  it('loses nothing while its endpoint is down across a restart of the service: delivered, in order, once it is back', async () => {
    database = await createTestDatabase('webhooks_restart');
    app = await startApp({ DATABASE_URL: database.url, ...FAST });
    const { eventId, seats } = await publishedEvent(app, 1, 6);
    endpoint = await webhookReceiver();
    const { port, url } = endpoint;
    const admin = await bearer('auth0|integrator', { permissions: ['webhooks:write'] });
    const alice = await bearer('auth0|alice');
    await request(app.getHttpServer()).post('/webhooks').set('authorization', admin).send({ url, eventTypes: ['booking.reserved', 'booking.cancelled'] }).expect(201);
    await endpoint.close(); // down: connections refused
    const bookings: string[] = [];
    for (const seat of seats.slice(0, 3)) {
      const { body } = await request(app.getHttpServer()).post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seat.seatId] }).expect(201);
      await request(app.getHttpServer()).post(`/bookings/${body.id}/cancel`).set('authorization', alice).expect(200);
      bookings.push(body.id);
    }
    await eventually(async () => {
      const [row] = await app!.get(DataSource).query(`SELECT count(*)::int AS failed FROM webhooks.deliveries WHERE outcome = 'FAILED'`);
      return row.failed >= 2 ? true : undefined;
    }, 10_000, 'failed attempts');
    await app.close();
    app = undefined;

    endpoint = await webhookReceiver(undefined, port);
    app = await startApp({ DATABASE_URL: database.url, ...FAST });
    const received = endpoint.received;
    await eventually(() => bookings.every((b) => received.filter((r) => r.body.data.bookingId === b).length >= 2), 20_000, 'every event after the restart');
    const firstOf = (b: string) => received.filter((r) => r.body.data.bookingId === b).slice(0, 2).map((r) => r.body.type);
    expect(bookings.map(firstOf)).toEqual(bookings.map(() => ['booking.reserved', 'booking.cancelled']));
    const ids = new Set(received.map((r) => r.body.id));
    expect(ids.size).toBe(6);
  });
});

describe('outbound webhooks through a crash', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let endpoint: WebhookReceiver | undefined;
  let service: ReturnType<typeof startService> | undefined;
  afterAll(async () => {
    if (service) await exitOf(service.child, 0);
    await endpoint?.close();
    await database?.drop();
  });

  it('SIGKILL while an endpoint holds a delivery unanswered: after a restart it is sent again, with the same id, and so is everything after it', async () => {
    database = await createTestDatabase('webhooks_crash');
    const env = { DATABASE_URL: database.url, PORT: String(await freePort()), ...FAST, WEBHOOK_TIMEOUT_SECONDS: '30' };
    service = startService(env);
    await ready(service);
    const { eventId, seats } = await publishedEvent(service.url, 1, 4);
    endpoint = await webhookReceiver(() => 'hang');
    const integrator = await bearer('auth0|integrator', { permissions: ['webhooks:write'] });
    await request(service.url).post('/webhooks').set('authorization', integrator).send({ url: endpoint.url, eventTypes: ['booking.reserved'] }).expect(201);
    const bookings: string[] = [];
    for (const [n, seat] of seats.slice(0, 3).entries()) {
      const { body } = await request(service.url).post('/bookings').set('authorization', await bearer(`auth0|crash-${n}`)).send({ eventId, seatIds: [seat.seatId] }).expect(201);
      bookings.push(body.id);
    }
    await eventually(() => endpoint!.received.length > 0, 10_000, 'a delivery in flight');
    service.child.kill('SIGKILL');
    await exitOf(service.child, 5_000);
    const inFlight = endpoint.received.map((r) => r.body.id);

    endpoint.answer(() => ({ status: 200 }));
    service = startService(env);
    await ready(service);
    await eventually(() => bookings.every((b) => endpoint!.delivered().some((r) => r.body.subject === b)), 20_000, 'every reservation after the restart');
    // Different bookings' reservations, so in any order; each taken once.
    expect(endpoint.delivered().map((r) => r.body.subject).sort()).toEqual([...bookings].sort());
    // What the endpoint had when the service died comes again: receivers de-duplicate on Eventix-Event-Id.
    expect(endpoint.delivered().map((r) => r.body.id)).toEqual(expect.arrayContaining(inFlight));
  });
});
