import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent, type SeatOfVenue } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { wholeLog } from './support/event-log.js';
import { eventually } from './support/eventually.js';
import { recordFigure } from './support/figures.js';

const ISSUER = 'https://issuer.eventix.test/';
const AUDIENCE = 'https://api.eventix.test';

/** What an operator and an attacker see: health, metrics, rate limits, and every door that needs a key. */
describe('operations and access', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let eventId: string;
  let seats: SeatOfVenue[];
  const http = () => request(app.getHttpServer());
  const token = (sub: string, options: Parameters<typeof bearer>[1] = {}) => bearer(sub, { issuer: ISSUER, audience: AUDIENCE, ...options });

  beforeAll(async () => {
    database = await createTestDatabase('operations');
    app = await startApp({ DATABASE_URL: database.url, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE, BOOKING_RATE_LIMIT: '4', BOOKING_RATE_WINDOW_SECONDS: '60' });
    const admin = await token('auth0|organiser', { permissions: ['catalog:write'] });
    ({ eventId, seats } = await publishedEvent(app, 2, 10, admin));
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const book = async (who: string, seatIds: string[]) =>
    http().post('/bookings').set('authorization', await token(who)).send({ eventId, seatIds });

  it('answers liveness and readiness apart from the full report', async () => {
    await http().get('/health/live').expect(200, { status: 'ok', info: {}, error: {}, details: {} });
    const ready = await http().get('/health/ready').expect(200);
    expect(Object.keys(ready.body.info)).toEqual(['shutdown', 'eventStore', 'database']);
    const full = await http().get('/health').expect(200);
    expect(Object.keys(full.body.info)).toEqual(['eventStore', 'database', 'projections', 'kafka', 'payments', 'webhooks']);
  });

  it('exposes command latency, conflicts, projection lag and parked events to Prometheus', async () => {
    await book('auth0|metrics-1', [seats[0].seatId]).then((r) => expect(r.status).toBe(201));
    await book('auth0|metrics-2', [seats[0].seatId, seats[1].seatId]).then((r) => expect(r.status).toBe(409));
    const scrape = await http().get('/metrics').expect(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = scrape.text;
    expect(text).toMatch(/^eventix_command_duration_seconds_count\{command="PlaceBooking",outcome="ok"\} 1$/m);
    expect(text).toMatch(/^eventix_command_duration_seconds_count\{command="PlaceBooking",outcome="conflict"\} 1$/m);
    expect(text).toMatch(/^eventix_conflicts_total\{command="PlaceBooking"\} 1$/m);
    for (const projector of ['catalog', 'booking', 'payment', 'follow-ups']) {
      expect(text).toMatch(new RegExp(`^eventix_projection_lag_seconds\\{projector="${projector}"\\} [0-9.e-]+$`, 'm'));
    }
    expect(text).toMatch(/^eventix_parked_events\{projector="catalog"\} 0$/m);
    // Route templates, never raw ids: one series per route however many bookings there are.
    expect(text).toMatch(/^eventix_http_request_duration_seconds_count\{method="POST",route="\/bookings",status="201"\} 1$/m);
    expect(text).toMatch(/^eventix_process_cpu_seconds_total /m);
    // Once the projectors have caught up, their lag is 0.
    await eventually(async () => /^eventix_projection_lag_seconds\{projector="catalog"\} 0$/m.test((await http().get('/metrics')).text), 10_000, 'no lag');
  });

  it('limits booking attempts per user with a 429 problem and Retry-After, and writes nothing for them', async () => {
    const attempts: request.Response[] = [];
    for (let i = 0; i < 6; i++) attempts.push(await book('auth0|hasty', [seats[10 + i].seatId]));
    expect(attempts.map((r) => r.status)).toEqual([201, 201, 201, 201, 429, 429]);
    const refused = attempts[4];
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 429, title: 'Too many requests', detail: expect.stringContaining('at most 4 every 60 s') });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Per user: someone else is not held back by the hasty one.
    await book('auth0|patient', [seats[16].seatId]).then((r) => expect(r.status).toBe(201));
    // The hasty one's id as the log holds it: encrypted, the same in each of the user's events (docs/privacy.md).
    const placed = (await wholeLog(database.url)).filter((e) => e.type === 'BookingPlaced');
    const hasty = placed.find((e) => (e.data as { bookingId: string }).bookingId === attempts[0].body.id)!.metadata.userId;
    const placedByHasty = placed.filter((e) => e.metadata.userId === hasty);
    expect(placedByHasty).toHaveLength(4);
    recordFigure('access', 'booking attempts over the rate limit refused (429)', 2);
  });

  it('refuses every forged, expired, foreign or unsigned token on every route that needs one, and writes nothing', async () => {
    const booking = (await book('auth0|owner', [seats[17].seatId]).then((r) => r.body)) as { id: string };
    const routes: [string, string, object?][] = [
      ['post', '/venues', { name: 'Hall' }],
      ['post', '/venues/' + randomUUID() + '/seats', { seats: [{ row: 'A', number: 1, type: 'VIP' }] }],
      ['post', '/events', {}],
      ['put', `/events/${eventId}/prices`, { prices: [{ seatType: 'VIP', price: '1.00' }] }],
      ['post', `/events/${eventId}/publish`],
      ['post', `/events/${eventId}/cancel`],
      ['post', '/bookings', { eventId, seatIds: [seats[18].seatId] }],
      ['post', `/bookings/${booking.id}/cancel`],
      ['post', `/bookings/${booking.id}/payments`, { paymentMethod: 'pm_card_visa' }],
      ['get', `/bookings/${booking.id}`],
      ['get', `/bookings/${booking.id}/history`],
      ['get', '/me/bookings'],
    ];
    const header = (claims: object) => Buffer.from(JSON.stringify(claims)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const owner = { sub: 'auth0|owner', iss: ISSUER, aud: AUDIENCE, exp: now + 300, permissions: ['catalog:write'] };
    const attacks: [string, string | undefined][] = [
      ['no token', undefined],
      ['not a JWT', 'Bearer definitely-not-a-token'],
      ['unsigned (alg: none)', `Bearer ${header({ alg: 'none', typ: 'JWT' })}.${header(owner)}.`],
      ['signed with another secret', await token('auth0|owner', { permissions: ['catalog:write'], secret: 'an-attackers-secret-of-enough-length-1234' })],
      ['expired', await token('auth0|owner', { permissions: ['catalog:write'], expiresIn: '-2m' })],
      ['for another audience', await token('auth0|owner', { permissions: ['catalog:write'], audience: 'https://other.api' })],
      ['from another issuer', await token('auth0|owner', { permissions: ['catalog:write'], issuer: 'https://evil.example/' })],
      ['claims altered after signing', await token('auth0|intruder').then((t) => { const [h, , s] = t.slice(7).split('.'); return `Bearer ${h}.${header(owner)}.${s}`; })],
    ];
    const before = (await wholeLog(database.url)).length;
    let refused = 0;
    for (const [method, path, body] of routes) {
      for (const [name, authorization] of attacks) {
        const req = (http() as unknown as Record<string, (path: string) => request.Test>)[method](path);
        if (authorization) req.set('authorization', authorization);
        const response = await (body ? req.send(body) : req);
        expect({ route: `${method} ${path}`, attack: name, status: response.status, type: response.headers['content-type'] }).toEqual({
          route: `${method} ${path}`,
          attack: name,
          status: 401,
          type: expect.stringMatching(/^application\/problem\+json/),
        });
        expect(response.headers['www-authenticate']).toBe('Bearer');
        refused++;
      }
    }
    expect((await wholeLog(database.url)).length).toBe(before);
    recordFigure('access', 'requests with a bad token refused (401), nothing written', refused);
  });

  it("never lets a user read, cancel or pay someone else's booking: 404, as if it did not exist", async () => {
    const booking = (await book('auth0|alice', [seats[19].seatId]).then((r) => r.body)) as { id: string };
    const mallory = await token('auth0|mallory');
    const tries = [
      http().get(`/bookings/${booking.id}`),
      http().get(`/bookings/${booking.id}/history`),
      http().post(`/bookings/${booking.id}/cancel`),
      http().post(`/bookings/${booking.id}/payments`).send({ paymentMethod: 'pm_card_visa' }),
    ];
    for (const attempt of tries) {
      const response = await attempt.set('authorization', mallory);
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ status: 404 });
    }
    expect((await http().get('/me/bookings').set('authorization', mallory).expect(200)).body.items).toEqual([]);
    const stream = (await wholeLog(database.url)).filter((e) => e.streamName === `booking-${booking.id}`).map((e) => e.type);
    expect(stream).toEqual(['BookingPlaced']);
  });
});

describe('command admission (COMMAND_CONCURRENCY=2)', () => {
  it('answers every command of a burst, in turn, as without it, while queries pass, and ends with none running or waiting', async () => {
    const database = await createTestDatabase('admission');
    const app = await startApp({ DATABASE_URL: database.url, COMMAND_CONCURRENCY: '2' });
    try {
      const http = () => request(app.getHttpServer());
      const { eventId, seats, position } = await publishedEvent(app, 2, 10);
      const book = async (who: string, body: object) => http().post('/bookings').set('authorization', await bearer(who)).send(body);
      const burst = [
        ...seats.slice(0, 8).map((seat, i) => book(`auth0|burst-${i}`, { eventId, seatIds: [seat.seatId] })),
        book('auth0|burst-late', { eventId, seatIds: [seats[0].seatId] }),
        book('auth0|burst-bad', { eventId, seatIds: 'all of them' }),
      ];
      // Once the published event is in the read model: the query must pass while the commands wait, not wait for the projector.
      const map = await http().get(`/events/${eventId}/seat-map`).set('x-min-position', position).expect(200);
      expect(map.body.counts.total).toBe(20);
      const statuses = (await Promise.all(burst)).map((r) => r.status);
      // Seat 0 goes to one of the two who asked for it: the burst's order on the wire is not its order of arrival.
      expect(statuses.slice(1, 8)).toEqual(Array(7).fill(201));
      expect([statuses[0], statuses[8]].sort()).toEqual([201, 409]);
      expect(statuses[9]).toBe(400);
      const text = (await http().get('/metrics').expect(200)).text;
      expect(text).toMatch(/^eventix_http_commands\{state="running"\} 0$/m);
      expect(text).toMatch(/^eventix_http_commands\{state="waiting"\} 0$/m);
    } finally {
      await app.close();
      await database.drop();
    }
  });
});
