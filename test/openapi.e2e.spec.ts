import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { DEVELOPMENT_WEBHOOK_SECRET } from '../src/config.js';
import { signWebhook } from '../src/write/payment/webhook-signature.js';
import { appUrl, startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { createTestDatabase } from './support/database.js';
import { eventually } from './support/eventually.js';
import { recordFigure } from './support/figures.js';
import {
  compileAndRunClient,
  type ContractProxy,
  type ContractRecord,
  contractProxy,
  formatMismatches,
  lintDocument,
  type OpenApiDocument,
  operationsOf,
  requestBodyErrors,
} from './support/openapi.js';
import { openSse } from './support/sse.js';
import { webhookReceiver } from './support/webhook-receiver.js';

const SUITE = 'openapi contract';
const COMMITTED = fileURLToPath(new URL('../openapi.json', import.meta.url));
/**
 * A ticket code with one character of its signature changed. Not the last ones: in base64url the last character of a
 * 64-byte signature carries only two bits, and a decoder ignores the rest, so 'AA' there left the signature as it was
 * once in 256 codes (and the test saw a 409 for the admitted ticket).
 */
const forged = (code: string) => `${code.slice(0, -10)}${code.at(-10) === 'A' ? 'B' : 'A'}${code.slice(-9)}`;

/**
 * The OpenAPI document is the contract: every request of a realistic flow, and of its error cases,
 * goes through a proxy that holds each real response to the document served at /docs-json (the
 * operation, the declared status, content type, body schema with objects closed, required headers).
 * The document itself passes Spectral's `spectral:oas` rules, is the committed openapi.json, and a
 * client generated from it (openapi-typescript + openapi-fetch) compiles under `tsc --strict` and works.
 */
describe('the OpenAPI document, held to the real service', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let document: OpenApiDocument;
  let proxy: ContractProxy;
  /** Proxies of other instances (the one shut down for the 503), whose records count too. */
  const otherProxies: ContractProxy[] = [];
  const otherApps: NestExpressApplication[] = [];
  const http = () => request(proxy.url);

  let organiser: string;
  let alice: string;
  let bob: string;
  let carol: string;
  let dave: string;

  // What the flow builds, step by step.
  let venueId: string;
  let seatIds: string[];
  let eventId: string;
  let publishedPosition: string;
  let draftEventId: string;
  let aliceBooking: { id: string; position: string };
  let daveBooking: { id: string; position: string };

  const env = { BOOKING_RATE_LIMIT: '3', BOOKING_RATE_WINDOW_SECONDS: '60' };
  const allRecords = (): ContractRecord[] => [...(proxy?.records ?? []), ...otherProxies.flatMap((p) => p.records)];

  beforeAll(async () => {
    database = await createTestDatabase('openapi');
    app = await startApp({ DATABASE_URL: database.url, ...env });
    // The document as served, straight from the app: /docs-json itself is not part of the contract.
    document = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body;
    proxy = await contractProxy(await appUrl(app), document);
    organiser = await bearer('auth0|openapi-organiser', { permissions: ['catalog:write'] });
    alice = await bearer('auth0|openapi-alice');
    bob = await bearer('auth0|openapi-bob');
    carol = await bearer('auth0|openapi-carol');
    dave = await bearer('auth0|openapi-dave');
  });

  afterAll(async () => {
    for (const p of [proxy, ...otherProxies]) await p?.close();
    for (const other of otherApps) await other.close().catch(() => undefined);
    await app?.close();
    await database?.drop();
  });

  it('is the committed openapi.json', () => {
    if (!existsSync(COMMITTED)) {
      throw new Error(`openapi.json is missing at the repository root (${COMMITTED}): run \`npm run openapi\` to write it from the served document, and commit it`);
    }
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8'));
    // A difference means the code changed the contract: run `npm run openapi` and review the diff.
    expect(document).toStrictEqual(committed);
  });

  describe('catalog', () => {
    it('creates a venue (201) and its seats (201; 409 on a taken position)', async () => {
      const venue = await http().post('/venues').set('authorization', organiser).send({ name: 'Contract Hall', location: 'Schema Street 3', capacity: 8 }).expect(201);
      venueId = venue.body.id;
      const layout = ['A', 'B'].flatMap((row) => [1, 2, 3, 4].map((number) => ({ row, number, type: row === 'A' ? 'VIP' : 'REGULAR' })));
      const added = await http().post(`/venues/${venueId}/seats`).set('authorization', organiser).send({ seats: layout }).expect(201);
      seatIds = added.body.seats.map((seat: { seatId: string }) => seat.seatId);
      expect(seatIds).toHaveLength(8);
      const duplicate = await http().post(`/venues/${venueId}/seats`).set('authorization', organiser).send({ seats: [{ row: 'A', number: 1, type: 'VIP' }] }).expect(409);
      expect(duplicate.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('creates an event (201), changes its prices (200) and publishes it (200)', async () => {
      const created = await http()
        .post('/events')
        .set('authorization', organiser)
        .send({ venueId, name: 'Contract Night', description: 'Every answer checked', startTime: '2030-09-01T19:00:00Z', endTime: '2030-09-01T23:00:00Z', prices: [{ seatType: 'VIP', price: '100.00' }, { seatType: 'REGULAR', price: 40 }] })
        .expect(201);
      eventId = created.body.id;
      expect(created.body.status).toBe('DRAFT');
      await http().put(`/events/${eventId}/prices`).set('authorization', organiser).send({ prices: [{ seatType: 'VIP', price: '110.00' }, { seatType: 'REGULAR', price: '42.50' }] }).expect(200);
      const published = await http().post(`/events/${eventId}/publish`).set('authorization', organiser).expect(200);
      expect(published.body.status).toBe('PUBLISHED');
      publishedPosition = published.body.position;
    });

    it('lists events (200, paged and filtered), and finds one (200) or not (404)', async () => {
      const listed = await http().get('/events').query({ limit: 5, offset: 0, status: 'PUBLISHED' }).set('x-min-position', publishedPosition).expect(200);
      expect(listed.body.items.map((e: { id: string }) => e.id)).toContain(eventId);
      await http().get(`/events/${eventId}`).set('x-min-position', publishedPosition).expect(200);
      const missing = await http().get(`/events/${randomUUID()}`).expect(404);
      expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('serves the seat map (200 with an ETag, then 304 for If-None-Match)', async () => {
      const map = await http().get(`/events/${eventId}/seat-map`).set('x-min-position', publishedPosition).expect(200);
      expect(map.body.seats).toHaveLength(8);
      const etag = map.headers.etag;
      expect(etag).toEqual(expect.any(String));
      await http().get(`/events/${eventId}/seat-map`).set('if-none-match', etag).expect(304);
    });

    it('streams the seat map (200 text/event-stream, a snapshot first), and 404 for an unknown event', async () => {
      const stream = await openSse(`${proxy.url}/events/${eventId}/seat-map/stream`);
      try {
        expect(stream.response.status).toBe(200);
        expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const [first] = await stream.until((messages) => messages.length > 0);
        expect(first).toMatchObject({ event: 'snapshot', data: { eventId } });
      } finally {
        stream.close();
      }
      const missing = await http().get(`/events/${randomUUID()}/seat-map/stream`).set('accept', 'text/event-stream').expect(404);
      expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('cancels a second event (200); a third stays a draft', async () => {
      const second = await http()
        .post('/events')
        .set('authorization', organiser)
        .send({ venueId, name: 'Called Off', startTime: '2030-10-01T19:00:00Z', endTime: '2030-10-01T22:00:00Z', prices: [{ seatType: 'VIP', price: '10.00' }] })
        .expect(201);
      await http().post(`/events/${second.body.id}/publish`).set('authorization', organiser).expect(200);
      const cancelled = await http().post(`/events/${second.body.id}/cancel`).set('authorization', organiser).expect(200);
      expect(cancelled.body.status).toBe('CANCELLED');
      const draft = await http()
        .post('/events')
        .set('authorization', organiser)
        .send({ venueId, name: 'Not Yet', startTime: '2030-11-01T19:00:00Z', endTime: '2030-11-01T22:00:00Z', prices: [{ seatType: 'VIP', price: '10.00' }] })
        .expect(201);
      draftEventId = draft.body.id;
    });
  });

  describe('bookings', () => {
    it('places a booking (201); the same key and body answer the same (201); another body 422', async () => {
      const key = `openapi-${randomUUID()}`;
      const placed = await http().post('/bookings').set('authorization', alice).set('idempotency-key', key).send({ eventId, seatIds: [seatIds[0]] }).expect(201);
      expect(placed.body.status).toBe('PENDING');
      aliceBooking = { id: placed.body.id, position: placed.body.position };
      const again = await http().post('/bookings').set('authorization', alice).set('idempotency-key', key).send({ eventId, seatIds: [seatIds[0]] }).expect(201);
      expect(again.body.id).toBe(aliceBooking.id);
      await http().post('/bookings').set('authorization', alice).set('idempotency-key', key).send({ eventId, seatIds: [seatIds[1]] }).expect(422);
    });

    it('refuses taken seats (409 with conflictingSeatIds), an unknown event (404) and a draft event (422)', async () => {
      const lost = await http().post('/bookings').set('authorization', bob).send({ eventId, seatIds: [seatIds[0], seatIds[2]] }).expect(409);
      expect(lost.body.conflictingSeatIds).toEqual([seatIds[0]]);
      await http().post('/bookings').set('authorization', carol).send({ eventId: randomUUID(), seatIds: [seatIds[3]] }).expect(404);
      await http().post('/bookings').set('authorization', carol).send({ eventId: draftEventId, seatIds: [seatIds[3]] }).expect(422);
    });

    it('shows a booking to its owner (200) and to no one else (404), with its history (200)', async () => {
      const booking = await http().get(`/bookings/${aliceBooking.id}`).set('authorization', alice).set('x-min-position', aliceBooking.position).expect(200);
      expect(booking.body).toMatchObject({ id: aliceBooking.id, status: 'PENDING' });
      await http().get(`/bookings/${aliceBooking.id}`).set('authorization', bob).expect(404);
      await http().get(`/bookings/${randomUUID()}`).set('authorization', alice).expect(404);
      const history = await http().get(`/bookings/${aliceBooking.id}/history`).set('authorization', alice).expect(200);
      expect(history.body.length).toBeGreaterThan(0);
    });

    it("lists the caller's bookings (200, paged)", async () => {
      const mine = await http().get('/me/bookings').query({ limit: 1, offset: 0 }).set('authorization', alice).set('x-min-position', aliceBooking.position).expect(200);
      expect(mine.body.items.map((b: { id: string }) => b.id)).toEqual([aliceBooking.id]);
      await http().get('/me/bookings').query({ limit: 10, offset: 1, status: 'PENDING' }).set('authorization', alice).expect(200);
    });

    it('cancels a booking (200)', async () => {
      const cancelled = await http().post(`/bookings/${aliceBooking.id}/cancel`).set('authorization', alice).expect(200);
      expect(cancelled.body.status).toBe('CANCELLED');
    });

    it('takes a payment (202), and the booking turns CONFIRMED', async () => {
      const placed = await http().post('/bookings').set('authorization', dave).send({ eventId, seatIds: [seatIds[4]] }).expect(201);
      daveBooking = { id: placed.body.id, position: placed.body.position };
      const payment = await http().post(`/bookings/${daveBooking.id}/payments`).set('authorization', dave).set('idempotency-key', `pay-${daveBooking.id}`).send({ paymentMethod: 'pm_card_visa' }).expect(202);
      expect(payment.body.paymentId).toEqual(expect.any(String));
      await eventually(
        async () => {
          const booking = await http().get(`/bookings/${daveBooking.id}`).set('authorization', dave).set('x-min-position', daveBooking.position);
          return booking.status === 200 && booking.body.status === 'CONFIRMED';
        },
        30_000,
        "dave's booking to be CONFIRMED",
      );
    });
  });

  describe('tickets and the door', () => {
    let gate: string;
    let code: string;
    beforeAll(async () => {
      gate = await bearer('auth0|openapi-gate', { permissions: ['checkin:write'] });
    });

    it("issues a confirmed booking's tickets (200, and a PDF), not a cancelled one's (409)", async () => {
      const tickets = await http().get(`/bookings/${daveBooking.id}/tickets`).set('authorization', dave).expect(200);
      expect(tickets.body.tickets).toHaveLength(1);
      code = tickets.body.tickets[0].code;
      const pdf = await http().get(`/bookings/${daveBooking.id}/tickets.pdf`).set('authorization', dave).expect(200);
      expect(pdf.headers['content-type']).toBe('application/pdf');
      await http().get(`/bookings/${aliceBooking.id}/tickets`).set('authorization', alice).expect(409);
    });

    it('gives the public key (200) and the key set (200) of an event, 404 for an unknown one', async () => {
      await http().get(`/events/${eventId}/ticket-key`).expect(200);
      await http().get(`/events/${eventId}/ticket-keys`).expect(200);
      await http().get(`/events/${randomUUID()}/ticket-key`).expect(404);
    });

    it('admits a ticket (200) once (409 ALREADY_ADMITTED), refuses a forged code (400), and counts attendance (200)', async () => {
      const admitted = await http().post(`/events/${eventId}/check-ins`).set('authorization', gate).send({ code, gate: 'North' }).expect(200);
      const again = await http().post(`/events/${eventId}/check-ins`).set('authorization', gate).send({ code, gate: 'South' }).expect(409);
      expect(again.body.result).toBe('ALREADY_ADMITTED');
      await http().post(`/events/${eventId}/check-ins`).set('authorization', gate).send({ code: forged(code) }).expect(400);
      await http().post(`/events/${randomUUID()}/check-ins`).set('authorization', gate).send({ code }).expect(404);
      const attendance = await http().get(`/events/${eventId}/attendance`).set('authorization', gate).set('x-min-position', admitted.body.position).expect(200);
      expect(attendance.body).toMatchObject({ tickets: 1, admitted: 1, byGate: { North: 1 } });
    });
  });

  describe("best available and the organiser's holds", () => {
    // By now: A1 free again (alice cancelled), B1 sold to dave; the rest free. A is VIP, B REGULAR.
    let holdId: string;
    it('holds seats (201), refuses a held seat to another hold and to a booking (409)', async () => {
      const held = await http().post(`/events/${eventId}/holds`).set('authorization', organiser).send({ seatIds: [seatIds[6], seatIds[7]], reason: 'Sound desk' }).expect(201);
      holdId = held.body.holdId;
      const twice = await http().post(`/events/${eventId}/holds`).set('authorization', organiser).send({ seatIds: [seatIds[7]], reason: 'Press' }).expect(409);
      expect(twice.body.conflictingSeatIds).toEqual([seatIds[7]]);
      const refused = await http().post('/bookings').set('authorization', await bearer('auth0|openapi-erin')).send({ eventId, seatIds: [seatIds[7]] }).expect(409);
      expect(refused.body.conflictingSeatIds).toEqual([seatIds[7]]);
      await http().post(`/events/${randomUUID()}/holds`).set('authorization', organiser).send({ seatIds: [seatIds[0]], reason: 'Press' }).expect(404);
      await http().post(`/events/${eventId}/holds`).set('authorization', organiser).send({ seatIds: [randomUUID()], reason: 'Press' }).expect(422);
    });

    it('chooses the best adjacent seats (201), and 409 not-enough-seats with how many are free when no block fits', async () => {
      const pair = await http().post('/bookings').set('authorization', await bearer('auth0|openapi-frank')).send({ eventId, quantity: 2, seatType: 'VIP' }).expect(201);
      expect(pair.body.items.map((item: { seatId: string }) => item.seatId)).toEqual([seatIds[1], seatIds[2]]); // A2, A3: the middle of A1-A4
      const single = await http().post('/bookings').set('authorization', await bearer('auth0|openapi-gina')).send({ eventId, quantity: 1, seatType: 'REGULAR', section: '' }).expect(201);
      expect(single.body.items.map((item: { seatId: string }) => item.seatId)).toEqual([seatIds[5]]); // B2: B1 sold, B3 and B4 held
      const none = await http().post('/bookings').set('authorization', await bearer('auth0|openapi-hugo')).send({ eventId, quantity: 2 }).expect(409);
      expect(none.body).toMatchObject({ type: expect.stringMatching(/not-enough-seats$/), available: 2 }); // A1 and A4, apart
      await http().post('/bookings').set('authorization', await bearer('auth0|openapi-ivan')).send({ eventId, quantity: 1, section: 'Balcony' }).expect(400);
      await http().post('/bookings').set('authorization', await bearer('auth0|openapi-ivan')).send({ eventId, quantity: 1, seatIds: [seatIds[0]] }).expect(400);
    });

    it('releases a hold (200), then knows it no more (404)', async () => {
      await http().delete(`/events/${eventId}/holds/${holdId}`).set('authorization', organiser).expect(200);
      await http().delete(`/events/${eventId}/holds/${holdId}`).set('authorization', organiser).expect(404);
    });
  });

  describe('outbound webhooks', () => {
    it('subscribes (201), lists (200), shows deliveries (200), replays (202) and deletes (200); 404 for an unknown one', async () => {
      const integrator = await bearer('auth0|openapi-integrator', { permissions: ['webhooks:write'] });
      const endpoint = await webhookReceiver();
      try {
        const created = await http().post('/webhooks').set('authorization', integrator).send({ url: endpoint.url, eventTypes: ['event.published'] }).expect(201);
        await http().post(`/events/${draftEventId}/publish`).set('authorization', organiser).expect(200);
        await eventually(() => endpoint.delivered().length === 1, 15_000, 'event.published delivered');
        await http().get('/webhooks').set('authorization', integrator).expect(200);
        const deliveries = await http().get(`/webhooks/${created.body.id}/deliveries?limit=5`).set('authorization', integrator).expect(200);
        expect(deliveries.body.items).toHaveLength(1);
        await http().post(`/webhooks/${created.body.id}/replay`).set('authorization', integrator).send({ fromPosition: created.body.position }).expect(202);
        await eventually(() => endpoint.delivered().length === 2, 15_000, 'event.published sent again');
        await http().delete(`/webhooks/${created.body.id}`).set('authorization', integrator).expect(200);
        await http().get(`/webhooks/${created.body.id}/deliveries`).set('authorization', integrator).expect(404);
        await http().post('/webhooks').set('authorization', integrator).send({ url: 'http://10.0.0.1/', eventTypes: ['event.published'] }).expect(400);
      } finally {
        await endpoint.close();
      }
    });
  });

  describe('privacy', () => {
    it('erases a user (200) and oneself (200); 404 once erased, 403 without privacy:erase, 400 for a bad id', async () => {
      const officer = await bearer('auth0|openapi-privacy-officer', { permissions: ['privacy:erase'] });
      const fan = await bearer('auth0|openapi-erased-fan');
      const self = await bearer('auth0|openapi-erased-self');
      await http().get('/me/bookings').set('authorization', fan).expect(200);
      await http().post('/bookings').set('authorization', fan).send({ eventId, seatIds: [randomUUID()] }); // the fan acts: a key is made
      await http().post('/bookings').set('authorization', self).send({ eventId, seatIds: [randomUUID()] });
      await http().post(`/users/${encodeURIComponent('auth0|openapi-erased-fan')}/erase`).set('authorization', fan).expect(403);
      await http().post(`/users/${encodeURIComponent('auth0|openapi-erased-fan')}/erase`).set('authorization', officer).expect(200);
      await http().post(`/users/${encodeURIComponent('auth0|openapi-erased-fan')}/erase`).set('authorization', officer).expect(404);
      await http().post(`/users/${'x'.repeat(256)}/erase`).set('authorization', officer).expect(400);
      await http().delete('/me').set('authorization', self).expect(200);
      await http().delete('/me').set('authorization', self).expect(404);
    });
  });

  describe('the payment webhook', () => {
    const outcome = () =>
      JSON.stringify({ id: `evt_${randomUUID()}`, type: 'payment.succeeded', data: { paymentId: randomUUID(), attempt: 1, externalId: `ch_${randomUUID()}`, reason: null } });

    it('takes a signed outcome (200), and refuses an unsigned one (401)', async () => {
      const signed = outcome();
      await http().post('/payments/webhook').set('content-type', 'application/json').set('eventix-signature', signWebhook(signed, DEVELOPMENT_WEBHOOK_SECRET)).send(signed).expect(200);
      await http().post('/payments/webhook').set('content-type', 'application/json').send(outcome()).expect(401);
    });
  });

  describe('errors', () => {
    it('400: a bad body, a path parameter that is no uuid, a limit of 0', async () => {
      await http().post('/venues').set('authorization', organiser).send({ name: 42 }).expect(400);
      await http().get('/events/not-a-uuid').expect(400);
      await http().get('/bookings/not-a-uuid').set('authorization', alice).expect(400);
      await http().get('/events').query({ limit: 0 }).expect(400);
    });

    it('401 without a token, 403 without the permission catalog:write', async () => {
      await http().post('/venues').send({ name: 'Nobody Hall' }).expect(401);
      await http().get('/me/bookings').expect(401);
      await http().post('/venues').set('authorization', alice).send({ name: 'Alice Hall' }).expect(403);
    });

    it('413 for a body over 64 KB', async () => {
      await http().post('/venues').set('authorization', organiser).set('content-type', 'application/json').send(JSON.stringify({ name: 'x'.repeat(70_000) })).expect(413);
    });

    it('429 with Retry-After when a user books or pays too often', async () => {
      const eager = await bearer('auth0|openapi-eager');
      for (let i = 0; i < 3; i++) await http().post('/bookings').set('authorization', eager).send({ eventId: randomUUID(), seatIds: [randomUUID()] }).expect(404);
      const limited = await http().post('/bookings').set('authorization', eager).send({ eventId: randomUUID(), seatIds: [randomUUID()] }).expect(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      for (let i = 0; i < 3; i++) await http().post(`/bookings/${randomUUID()}/payments`).set('authorization', eager).send({ paymentMethod: 'pm_card_visa' }).expect(404);
      const payLimited = await http().post(`/bookings/${randomUUID()}/payments`).set('authorization', eager).send({ paymentMethod: 'pm_card_visa' }).expect(429);
      expect(payLimited.headers['retry-after']).toEqual(expect.any(String));
    });
  });

  describe('request constraints: the document and the validation agree', () => {
    /** A user of its own for each try: booking and paying are rate-limited per user. */
    let tries = 0;
    const buyer = () => bearer(`auth0|openapi-limits-${++tries}`);
    const integrator = () => bearer('auth0|openapi-integrator', { permissions: ['webhooks:write'] });
    const send = (method: 'post' | 'put', path: string, token: string, body: object) => http()[method](path).set('authorization', token).send(body);

    it('refuses the same bodies: the document says so, and the service answers 400', async () => {
      const refused: [string, 'post' | 'put', string, () => Promise<string>, object][] = [
        ['createVenue', 'post', '/venues', async () => organiser, { name: 'Hall', capacity: 1.5 }],
        ['createVenue', 'post', '/venues', async () => organiser, { name: '\u2764\ufe0f'.repeat(128) }], // 256 code points, as varchar(255) counts them
        ['createVenue', 'post', '/venues', async () => organiser, { name: 'Hall', extra: 1 }],
        ['addSeats', 'post', `/venues/${venueId}/seats`, async () => organiser, { seats: [{ row: 'A B', number: 1, type: 'VIP' }] }],
        ['changeEventPrices', 'put', `/events/${draftEventId}/prices`, async () => organiser, { prices: [{ seatType: 'VIP', price: '1.234' }] }],
        ['changeEventPrices', 'put', `/events/${draftEventId}/prices`, async () => organiser, { prices: [{ seatType: 'VIP', price: ' 45' }] }],
        ['placeBooking', 'post', '/bookings', buyer, { eventId, seatIds: Array.from({ length: 11 }, () => randomUUID()) }],
        ['placeBooking', 'post', '/bookings', buyer, { eventId }],
        ['placeBooking', 'post', '/bookings', buyer, { eventId, seatIds: [seatIds[0]], quantity: 1 }],
        ['placeBooking', 'post', '/bookings', buyer, { eventId, seatIds: [seatIds[0]], seatType: 'VIP' }],
        ['placeBooking', 'post', '/bookings', buyer, { eventId, quantity: 0 }],
        ['placeBooking', 'post', '/bookings', buyer, { eventId, quantity: 11 }],
        ['placeBooking', 'post', '/bookings', buyer, { eventId, quantity: 2, seatType: 'BOX' }],
        ['holdSeats', 'post', `/events/${eventId}/holds`, async () => organiser, { seatIds: [seatIds[0]], reason: '' }],
        ['addSeats', 'post', `/venues/${venueId}/seats`, async () => organiser, { seats: [{ row: 'C', number: 1, type: 'VIP', rank: -1 }] }],
        ['addSeats', 'post', `/venues/${venueId}/seats`, async () => organiser, { seats: [{ section: 'Left\nwing', row: 'C', number: 1, type: 'VIP' }] }],
        ['payBooking', 'post', `/bookings/${randomUUID()}/payments`, buyer, { paymentMethod: 'visa' }],
        ['checkIn', 'post', `/events/${eventId}/check-ins`, async () => bearer('auth0|openapi-gate', { permissions: ['checkin:write'] }), { code: 'x'.repeat(2_049) }],
        ['checkIn', 'post', `/events/${eventId}/check-ins`, async () => bearer('auth0|openapi-gate', { permissions: ['checkin:write'] }), { code: 'x', scannedAt: 'yesterday' }],
        ['createWebhook', 'post', '/webhooks', integrator, { url: 'http://127.0.0.1/x', eventTypes: [] }],
        ['createWebhook', 'post', '/webhooks', integrator, { url: 'http://127.0.0.1/x', eventTypes: ['booking.reserved', 'booking.reserved'] }],
        ['createWebhook', 'post', '/webhooks', integrator, { url: `http://127.0.0.1/${'x'.repeat(2_048)}`, eventTypes: ['booking.reserved'] }],
        ['createWebhook', 'post', '/webhooks', integrator, { url: 'http://127.0.0.1/x', eventTypes: ['ticket.scanned'] }],
        ['replayWebhook', 'post', `/webhooks/${randomUUID()}/replay`, integrator, { fromPosition: '12' }],
      ];
      for (const [operationId, method, path, token, body] of refused) {
        expect([operationId, requestBodyErrors(document, operationId, body)]).toEqual([operationId, expect.arrayContaining([expect.any(String)])]);
        const answer = await send(method, path, await token(), body);
        expect([operationId, body, answer.status]).toEqual([operationId, body, 400]);
      }
    });

    it('allows the same bodies at the edges of every limit: the document says so, and the service takes them', async () => {
      const name = `${'x'.repeat(254)}\u2764`; // 255 code points
      const venue = { name, location: 'l'.repeat(500), capacity: 200_000 };
      expect(requestBodyErrors(document, 'createVenue', venue)).toEqual([]);
      const created = await send('post', '/venues', organiser, venue).expect(201);
      const seats = { seats: [{ row: 'ABCDEFGHIJ', number: 100_000, type: 'ECONOMY' }, { section: 's'.repeat(50), row: 'A', number: 1, type: 'VIP', rank: 1_000_000_000 }] };
      expect(requestBodyErrors(document, 'addSeats', seats)).toEqual([]);
      await send('post', `/venues/${created.body.id}/seats`, organiser, seats).expect(201);
      const prices = { prices: [{ seatType: 'VIP', price: 99_999_999.99 }, { seatType: 'ECONOMY', price: '0' }] };
      expect(requestBodyErrors(document, 'changeEventPrices', prices)).toEqual([]);
      await send('put', `/events/${draftEventId}/prices`, organiser, prices).expect(200);
      // Best available with null for what is not asked (as the pipe takes it); A4 is the one VIP seat left.
      const best = { eventId, seatIds: null, quantity: 1, seatType: 'VIP', section: null };
      expect(requestBodyErrors(document, 'placeBooking', best)).toEqual([]);
      await send('post', '/bookings', await buyer(), best).expect(201);
    });
  });

  describe('operations', () => {
    it('health (200), liveness (200), readiness (200), metrics (200 text/plain)', async () => {
      await http().get('/health').expect(200);
      await http().get('/health/live').expect(200);
      await http().get('/health/ready').expect(200);
      const metrics = await http().get('/metrics').expect(200);
      expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    });
  });

  it('gives a client generated from it that compiles (tsc --strict) and books', async () => {
    const token = (header: string) => header.replace(/^Bearer /, '');
    const result = await compileAndRunClient(document, {
      EVENTIX_URL: proxy.url,
      EVENTIX_ORGANISER_TOKEN: token(organiser),
      EVENTIX_BUYER_TOKEN: token(await bearer('auth0|openapi-generated-client')),
    });
    expect(result).toMatchObject({ createdStatus: 'DRAFT', publishedStatus: 'PUBLISHED', seatCount: 2, bookingStatus: 'PENDING', fetchedStatus: 'PENDING' });
    expect(result.listedIds).toContain(result.eventId);
    expect(result.seatStatuses).toHaveLength(2);
    expect(result.fetchedId).toBe(result.bookingId);
  });

  it('503 with Retry-After from an instance that is shutting down (HttpDrain)', async () => {
    // A second instance on the same database, shut down for real: app.close() runs HttpDrain's
    // beforeApplicationShutdown, which turns new requests away (503) until none has come for a moment.
    const leaving = await startApp({ DATABASE_URL: database.url, ...env });
    otherApps.push(leaving);
    const drainProxy = await contractProxy(await appUrl(leaving), document);
    otherProxies.push(drainProxy);
    await request(drainProxy.url).get('/health/live').expect(200);
    const closing = leaving.close();
    let refused: request.Response | undefined;
    for (const deadline = Date.now() + 15_000; !refused && Date.now() < deadline; ) {
      const answer = await request(drainProxy.url).get('/health/live');
      if (answer.status === 503) refused = answer;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await closing;
    otherApps.splice(otherApps.indexOf(leaving), 1);
    expect(refused?.status).toBe(503);
    expect(refused?.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused?.headers['retry-after']).toEqual(expect.any(String));
  });

  it('matches every response, every operation answered with success, and passes spectral:oas', async () => {
    const records = allRecords();
    const mismatches = records.filter((r) => !r.ok);
    const operations = operationsOf(document);
    const successes = new Map<string, number[]>();
    for (const record of records) {
      if (!record.operationId) continue;
      successes.set(record.operationId, [...(successes.get(record.operationId) ?? []), record.status]);
    }
    const unanswered = operations
      .filter(({ operationId }) => !(successes.get(operationId) ?? []).some((status) => (status >= 200 && status < 300) || status === 304))
      .map(({ operationId, method, template }) => `${operationId} (${method.toUpperCase()} ${template}): seen ${[...new Set(successes.get(operationId) ?? [])].sort().join(', ') || 'nothing'}`);
    const lint = await lintDocument(document);

    recordFigure(SUITE, 'operations in the document', operations.length);
    recordFigure(SUITE, 'responses validated', records.length);
    recordFigure(SUITE, 'mismatches', mismatches.length);
    recordFigure(SUITE, 'operations without a success seen', unanswered.length);
    recordFigure(SUITE, 'spectral errors', lint.errors.length);
    recordFigure(SUITE, 'spectral warnings', lint.warnings.length);
    if (lint.warnings.length > 0) console.info(`spectral:oas warnings (${lint.warnings.length}):\n${lint.warnings.map((w) => `  ${w}`).join('\n')}`);

    const problems: string[] = [];
    if (mismatches.length > 0) problems.push(formatMismatches(mismatches));
    if (unanswered.length > 0) problems.push(`${unanswered.length} operation(s) of the document never answered 2xx/304 here:\n${unanswered.map((u) => `  - ${u}`).join('\n')}`);
    if (lint.errors.length > 0) problems.push(`spectral:oas: ${lint.errors.length} error(s):\n${lint.errors.map((e) => `  - ${e}`).join('\n')}`);
    if (problems.length > 0) throw new Error(problems.join('\n\n'));
    expect(records.length).toBeGreaterThan(operations.length);
  });
});
