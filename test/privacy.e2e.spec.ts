import type { NestExpressApplication } from '@nestjs/platform-express';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Client, Pool } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { validateEnvironment } from '../src/config.js';
import { bookingProjector } from '../src/projections/booking.projector.js';
import { projection } from '../src/projections/projection.js';
import { PROJECTORS } from '../src/projections/projectors.js';
import { Rebuild } from '../src/projections/replay.js';
import type { EventStore } from '../src/write/event-store/event-store.port.js';
import { subjectOf } from '../src/write/privacy/personal-data.js';
import { UserKeys } from '../src/write/privacy/user-keys.js';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { createTestDatabase } from './support/database.js';
import { wholeLog } from './support/event-log.js';
import { eventStoreEnv, openTestEventStore } from './support/event-store.js';
import { eventually } from './support/eventually.js';
import { webhookReceiver } from './support/webhook-receiver.js';

const run = promisify(execFile);
const text = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? String(v) : v));

/**
 * Erasure by crypto-shredding (#22, docs/privacy.md), through HTTP, the CLI (dist/, built by
 * `npm test`) and the database itself: the log keeps every event and its hash chain, and after the
 * user's key is destroyed nothing anywhere names the user — not the read models, not an answer, not
 * an audit, not a replay, not a dump of the whole database.
 */
describe('erasure', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let sql: Client;
  let admin: string;
  let officer: string;
  const http = () => request(app.getHttpServer());
  const env = () => ({ PATH: process.env.PATH!, DATABASE_URL: database.url, ...eventStoreEnv(database.url) });
  const eventix = async (...args: string[]) => {
    try {
      const { stdout } = await run(process.execPath, ['dist/src/cli.js', ...args], { env: env(), maxBuffer: 64 * 1024 * 1024 });
      return { code: 0, stdout };
    } catch (error) {
      const failed = error as { code: number; stdout: string };
      return { code: failed.code, stdout: failed.stdout };
    }
  };
  const pgDump = async () => (await run('pg_dump', ['--no-owner', database.url], { maxBuffer: 256 * 1024 * 1024 })).stdout;

  beforeAll(async () => {
    database = await createTestDatabase('privacy');
    app = await startApp({ DATABASE_URL: database.url, BOOKING_RATE_LIMIT: '0', WEBHOOK_RETRY_BASE_SECONDS: '0.05', WEBHOOK_RETRY_MAX_SECONDS: '0.2' });
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    admin = await bearer('auth0|organiser', { permissions: ['catalog:write', 'webhooks:write'] });
    officer = await bearer('auth0|privacy-officer', { permissions: ['privacy:erase'] });
  });
  afterAll(async () => {
    await sql?.end();
    await app?.close();
    await database?.drop();
  });

  /** A published event of `seats` REGULAR seats; its seat ids. */
  const onSale = async (seats: number) => {
    const venue = await http().post('/venues').set('authorization', admin).send({ name: 'Hall', capacity: seats }).expect(201);
    const layout = Array.from({ length: seats }, (_, i) => ({ row: 'A', number: i + 1, type: 'REGULAR' }));
    const added = await http().post(`/venues/${venue.body.id}/seats`).set('authorization', admin).send({ seats: layout }).expect(201);
    const created = await http().post('/events').set('authorization', admin)
      .send({ venueId: venue.body.id, name: 'Gig', startTime: '2030-06-01T19:00:00Z', endTime: '2030-06-01T23:00:00Z', prices: [{ seatType: 'REGULAR', price: '40.00' }] }).expect(201);
    await http().post(`/events/${created.body.id}/publish`).set('authorization', admin).expect(200);
    return { eventId: created.body.id as string, seatIds: (added.body.seats as { seatId: string }[]).map((seat) => seat.seatId) };
  };
  const bookingsOf = async (ids: string[]) =>
    (await sql.query(`SELECT id, user_id, event_id, status, total_amount::text, currency, ticket_reference, created_at, updated_at FROM booking.bookings WHERE id = ANY($1) ORDER BY id`, [ids])).rows;
  const caughtUp = async (position: string, token: string) => http().get('/me/bookings?limit=1').set('authorization', token).set('x-min-position', position).expect(200);

  it("erases a buyer: the log keeps its events and chain, and nothing names the buyer any more", async () => {
    const userId = `auth0|buyer-${randomUUID()}`; // unique text: found anywhere, it leaked
    const buyer = await bearer(userId);
    const receiver = await webhookReceiver();
    const subscribed = await http().post('/webhooks').set('authorization', admin).send({ url: receiver.url, eventTypes: ['booking.reserved'] }).expect(201);
    const { eventId, seatIds } = await onSale(4);

    // Two bookings (one with an Idempotency-Key, whose id derives from who asked), one paid, one cancelled.
    const paid = await http().post('/bookings').set('authorization', buyer).set('idempotency-key', 'order-1').send({ eventId, seatIds: seatIds.slice(0, 2) }).expect(201);
    await http().post(`/bookings/${paid.body.id}/payments`).set('authorization', buyer).send({ paymentMethod: 'pm_card_visa' }).expect(202);
    await eventually(async () => (await http().get(`/bookings/${paid.body.id}`).set('authorization', buyer)).body.status === 'CONFIRMED', 20_000, 'the payment');
    const cancelled = await http().post('/bookings').set('authorization', buyer).send({ eventId, seatIds: [seatIds[2]] }).expect(201);
    const end = await http().post(`/bookings/${cancelled.body.id}/cancel`).set('authorization', buyer).expect(200);
    await caughtUp(end.body.position, buyer);
    const ids = [paid.body.id, cancelled.body.id];

    // Before: the read models and the answers name the buyer; the log holds only the encrypted id.
    expect((await bookingsOf(ids)).map((row) => row.user_id)).toEqual([userId, userId]);
    const log = await wholeLog(database.url);
    expect(text(log)).not.toContain(userId);
    const placed = log.find((event) => event.type === 'BookingPlaced' && (event.data as { bookingId: string }).bookingId === paid.body.id)!;
    const subject = subjectOf((placed.data as { userId: string }).userId)!;
    expect(placed.metadata.userId).toBe((placed.data as { userId: string }).userId);
    const history = (await http().get(`/bookings/${paid.body.id}/history`).set('authorization', buyer).expect(200)).body;
    expect(history[0]).toMatchObject({ metadata: { userId }, stateAfter: { userId } });
    expect((await eventix('audit', 'booking', paid.body.id)).stdout).toContain(`by ${userId}`);
    await eventually(async () => receiver.delivered().length >= 2, 20_000, 'the webhooks');
    expect(receiver.delivered().map((r) => r.body.data.userId)).toEqual([userId, userId]);
    expect(await pgDump()).toContain(userId); // the dump below can tell
    const before = await bookingsOf(ids);
    const payments = (await sql.query(`SELECT * FROM payment.payments WHERE booking_id = ANY($1) ORDER BY id`, [ids])).rows;
    const seats = (await sql.query(`SELECT * FROM catalog.seat_availability WHERE event_id = $1 ORDER BY seat_id`, [eventId])).rows;

    // Refused: no permission; nobody to erase.
    await http().post(`/users/${encodeURIComponent(userId)}/erase`).set('authorization', buyer).expect(403);
    await http().post(`/users/${encodeURIComponent('auth0|nobody-here')}/erase`).set('authorization', officer).expect(404);

    const erased = await http().post(`/users/${encodeURIComponent(userId)}/erase`).set('authorization', officer).expect(200);
    expect(erased.body).toEqual({ user: `erased:${subject}`, erasedAt: expect.any(String), position: expect.any(String) });
    await http().post(`/users/${encodeURIComponent(userId)}/erase`).set('authorization', officer).expect(404);

    // The read models: the user is erased:<subject>; bookings, seats, payments and money untouched.
    const after = await bookingsOf(ids);
    expect(after.map((row) => row.user_id)).toEqual([`erased:${subject}`, `erased:${subject}`]);
    expect(after.map(({ user_id: _, ...row }) => row)).toEqual(before.map(({ user_id: _, ...row }) => row));
    expect((await sql.query(`SELECT * FROM payment.payments WHERE booking_id = ANY($1) ORDER BY id`, [ids])).rows).toEqual(payments);
    expect((await sql.query(`SELECT * FROM catalog.seat_availability WHERE event_id = $1 ORDER BY seat_id`, [eventId])).rows).toEqual(seats);

    // Nobody is the owner any more: the same sub is a new user, who owns nothing of before.
    await http().get(`/bookings/${paid.body.id}`).set('authorization', buyer).expect(404);
    await http().get(`/bookings/${paid.body.id}/history`).set('authorization', buyer).expect(404);
    expect((await http().get('/me/bookings').set('authorization', buyer).expect(200)).body.items).toEqual([]);

    // The log: every event still there, the chain intact; the erasure recorded, naming the subject only.
    const logAfter = await wholeLog(database.url);
    expect(logAfter.slice(0, log.length)).toEqual(log);
    const record = logAfter.find((event) => event.type === 'PersonalDataErased')!;
    expect(record).toMatchObject({ streamName: `privacy-${subject}`, data: { subjectId: subject }, metadata: { userId: expect.stringMatching(/^pii:1:/) } });
    expect(await eventix('verify', '--log')).toMatchObject({ code: 0, stdout: expect.stringMatching(/every chain intact/) });
    expect(await eventix('verify')).toMatchObject({ code: 0, stdout: expect.stringContaining('the read models agree with the event log') });

    // Audits, state and exports: [erased].
    const audit = await eventix('audit', 'booking', paid.body.id);
    expect(audit.stdout).toContain('by [erased]');
    expect(audit.stdout).toMatch(/hash chain of booking-\S+: intact/);
    expect(JSON.parse((await eventix('state', 'booking', paid.body.id, '--as-of', new Date().toISOString())).stdout)).toMatchObject({ userId: '[erased]', status: 'CONFIRMED', totalAmount: '80.00' });
    const exported = (await eventix('export', '--format', 'ndjson')).stdout;
    expect(exported).toContain('"userId":"[erased]"');

    // Integration events sent again: erased:<subject>.
    receiver.received.length = 0;
    await http().post(`/webhooks/${subscribed.body.id}/replay`).set('authorization', admin).send({ fromPosition: '0:0' }).expect(202);
    await eventually(async () => receiver.delivered().length >= 2, 20_000, 'the replayed webhooks');
    expect(receiver.delivered().map((r) => r.body.data.userId)).toEqual([`erased:${subject}`, `erased:${subject}`]);

    // A replay of the read models from the log makes the same erased rows.
    expect((await eventix('replay')).code).toBe(0);
    expect(await bookingsOf(ids)).toEqual(after);

    // No trace: the whole database, dumped, names the user nowhere; nor does anything the CLI prints.
    for (const text of [await pgDump(), exported, audit.stdout, (await eventix('export', '--format', 'ndjson', '--as-stored')).stdout]) expect(text).not.toContain(userId);
    await receiver.close();
  });

  it('DELETE /me erases the caller; what the caller does afterwards is a new user', async () => {
    const userId = `auth0|me-${randomUUID()}`;
    const me = await bearer(userId);
    const { eventId, seatIds } = await onSale(2);
    const first = await http().post('/bookings').set('authorization', me).send({ eventId, seatIds: [seatIds[0]] }).expect(201);
    await caughtUp(first.body.position, me);
    await http().delete('/me').expect(401);
    const erased = await http().delete('/me').set('authorization', me).expect(200);
    expect(erased.body.user).toMatch(/^erased:[0-9a-f-]{36}$/);
    await http().delete('/me').set('authorization', me).expect(404);
    expect((await bookingsOf([first.body.id]))[0].user_id).toBe(erased.body.user);

    const second = await http().post('/bookings').set('authorization', me).send({ eventId, seatIds: [seatIds[1]] }).expect(201);
    const mine = (await caughtUp(second.body.position, me)).body;
    expect(mine.items.map((b: { id: string }) => b.id)).toEqual([second.body.id]);
    expect((await bookingsOf([second.body.id]))[0].user_id).toBe(userId);
  });

  it('an erasure racing bookings of the same user leaves no booking of the erased key with the plain id', async () => {
    const userId = `auth0|racer-${randomUUID()}`;
    const racer = await bearer(userId);
    const { eventId, seatIds } = await onSale(24);
    await http().post('/bookings').set('authorization', racer).send({ eventId, seatIds: [seatIds[0]] }).expect(201);
    // Bookings go on while the erasure runs; those decided before it carry the old key, those after a new one.
    const booking = Promise.all(seatIds.slice(1).map((seatId) => http().post('/bookings').set('authorization', racer).send({ eventId, seatIds: [seatId] })));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const erased = await http().post(`/users/${encodeURIComponent(userId)}/erase`).set('authorization', officer).expect(200);
    const answers = await booking;
    const last = answers.filter((a) => a.status === 201).map((a) => a.body.position as string).sort().at(-1)!;
    await http().get('/events').set('x-min-position', last > erased.body.position ? last : erased.body.position).expect(200);
    await eventually(async () => {
      const placed = (await wholeLog(database.url)).filter((event) => event.type === 'BookingPlaced' && (event.data as { eventId: string }).eventId === eventId);
      const rows = new Map((await sql.query(`SELECT id, user_id FROM booking.bookings WHERE event_id = $1`, [eventId])).rows.map((row) => [row.id, row.user_id]));
      if (rows.size !== placed.length) return false;
      for (const event of placed) {
        const { bookingId, userId: encrypted } = event.data as { bookingId: string; userId: string };
        const expected = `erased:${subjectOf(encrypted)}` === erased.body.user ? erased.body.user : userId;
        expect([bookingId, rows.get(bookingId)]).toEqual([bookingId, expected]);
      }
      return true;
    }, 20_000, 'every booking projected');
  });

  it('a rebuild whose shadows were built before an erasure swaps in erased rows', async () => {
    const userId = `auth0|rebuilt-${randomUUID()}`;
    const buyer = await bearer(userId);
    const { eventId, seatIds } = await onSale(1);
    const placed = await http().post('/bookings').set('authorization', buyer).send({ eventId, seatIds }).expect(201);
    await caughtUp(placed.body.position, buyer);
    const db = new DataSource({ type: 'postgres', url: database.url });
    await db.initialize();
    const pool = new Pool({ connectionString: database.url, max: 4 });
    const store: EventStore = await openTestEventStore(database.url);
    try {
      const rebuild = new Rebuild(pool, store, PROJECTORS, new UserKeys(db, validateEnvironment({ DATABASE_URL: database.url })));
      await rebuild.build(); // the shadows hold the user id, opened with the key as it was
      const erased = await http().post(`/users/${encodeURIComponent(userId)}/erase`).set('authorization', officer).expect(200);
      await rebuild.swap();
      expect((await bookingsOf([placed.body.id]))[0].user_id).toBe(erased.body.user);
      expect((await sql.query(`SELECT count(*)::int AS n FROM booking.bookings WHERE user_id = $1`, [userId])).rows[0].n).toBe(0);
    } finally {
      await store.close();
      await pool.end();
      await db.destroy();
    }
  });

  it('a projector batch that opened ids with keys read before an erasure is refused, and tried again writes the erased id', async () => {
    const userId = `auth0|late-${randomUUID()}`;
    const buyer = await bearer(userId);
    const { eventId, seatIds } = await onSale(1);
    const booked = await http().post('/bookings').set('authorization', buyer).send({ eventId, seatIds }).expect(201);
    await caughtUp(booked.body.position, buyer);
    const placed = (await wholeLog(database.url)).find((event) => event.type === 'BookingPlaced' && (event.data as { bookingId: string }).bookingId === booked.body.id)!;
    const db = new DataSource({ type: 'postgres', url: database.url });
    await db.initialize();
    try {
      // A projector of the same table, on a checkpoint of its own, whose keys were read before the erasure.
      const users = new UserKeys(db, validateEnvironment({ DATABASE_URL: database.url }));
      expect((await users.reveal([placed], 'id')).events[0].data).toMatchObject({ userId });
      const erased = await http().post(`/users/${encodeURIComponent(userId)}/erase`).set('authorization', officer).expect(200);
      await sql.query(`DELETE FROM booking.booking_items WHERE booking_id = $1`, [booked.body.id]);
      await sql.query(`DELETE FROM booking.bookings WHERE id = $1`, [booked.body.id]);
      await sql.query(`INSERT INTO projections.checkpoints (projector, position) VALUES ('booking-late', '')`);
      const late = projection({ ...bookingProjector, name: 'booking-late' }, db, users);
      const signal = new AbortController().signal;
      await expect(late.apply([placed], '', () => undefined, signal)).rejects.toMatchObject({ code: '40E01' });
      expect(await bookingsOf([booked.body.id])).toEqual([]);
      await late.apply([placed], '', () => undefined, signal); // as the runner retries it
      expect((await bookingsOf([booked.body.id]))[0].user_id).toBe(erased.body.user);
    } finally {
      await db.destroy();
    }
  });

  it('erases from the read models a user who acted only before #22, whose events hold the plain id', async () => {
    const userId = `auth0|legacy-${randomUUID()}`;
    const { eventId, seatIds } = await onSale(1);
    const bookingId = randomUUID();
    const store = await openTestEventStore(database.url);
    let position: string;
    try {
      const placed = { bookingId, eventId, userId, items: [{ seatId: seatIds[0], priceMinor: 4000 }], totalMinor: 4000, currency: 'USD', expiresAt: '2030-01-01T00:00:00.000Z', requestHash: 'legacy' };
      ({ position } = await store.appendToStream(`booking-${bookingId}`, [{ type: 'BookingPlaced', data: placed }], { expectedRevision: 'no_stream', context: { correlationId: randomUUID(), causationId: null, userId } }));
    } finally {
      await store.close();
    }
    await caughtUp(position, await bearer(userId));
    expect((await bookingsOf([bookingId]))[0].user_id).toBe(userId);
    const erased = await http().post(`/users/${encodeURIComponent(userId)}/erase`).set('authorization', officer).expect(200);
    expect((await bookingsOf([bookingId]))[0].user_id).toBe(erased.body.user);
    await http().post(`/users/${encodeURIComponent(userId)}/erase`).set('authorization', officer).expect(404);
  });

  it('refuses a user id that is too long or holds control characters, writing nothing', async () => {
    const head = (await wholeLog(database.url)).length;
    for (const bad of ['x'.repeat(256), 'a\u0001b']) {
      const answer = await http().post(`/users/${encodeURIComponent(bad)}/erase`).set('authorization', officer);
      expect([answer.status, answer.headers['content-type']]).toEqual([400, expect.stringMatching(/^application\/problem\+json/)]);
    }
    expect((await wholeLog(database.url)).length).toBe(head);
  });
});
