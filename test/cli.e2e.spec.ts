import type { NestExpressApplication } from '@nestjs/platform-express';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Client } from 'pg';
import request from 'supertest';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { wholeLog } from './support/event-log.js';
import { eventStoreEnv, itOnPostgresStore, openTestEventStore, writeForeignEvents } from './support/event-store.js';
import { eventually } from './support/eventually.js';

/**
 * The real `eventix` CLI, run as a process (dist/src/cli.js, built by `npm test`) against a live
 * service's database and event store (the suite's: test/support/event-store.ts).
 */
const run = promisify(execFile);

describe('the eventix CLI', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let sql: Client;
  let eventId: string;
  let bookingId: string;
  let confirmedAt: number;
  let freeSeat: string;
  const env = () => ({ PATH: process.env.PATH!, DATABASE_URL: database.url, ...eventStoreEnv(database.url) });
  const eventix = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['dist/src/cli.js', ...args], { env: env(), maxBuffer: 64 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase('cli');
    app = await startApp({ DATABASE_URL: database.url });
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    const http = () => request(app.getHttpServer());
    let seats;
    ({ eventId, seats } = await publishedEvent(app, 2, 10));
    freeSeat = seats[19].seatId;
    const alice = await bearer('auth0|alice');
    const booked = await http().post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seats[0].seatId, seats[1].seatId] }).expect(201);
    bookingId = booked.body.id;
    await new Promise((r) => setTimeout(r, 50));
    await http().post(`/bookings/${bookingId}/payments`).set('authorization', alice).send({ paymentMethod: 'pm_card_visa' }).expect(202);
    const confirmed = await eventually(async () => {
      const confirmation = (await wholeLog(database.url)).find((e) => e.streamName === `booking-${bookingId}` && e.type === 'BookingConfirmed');
      return confirmation?.metadata.occurredAt;
    }, 10_000, 'the confirmation');
    confirmedAt = Date.parse(confirmed);
    for (let i = 2; i < 8; i++) await http().post('/bookings').set('authorization', await bearer(`auth0|fan-${i}`)).send({ eventId, seatIds: [seats[i].seatId] }).expect(201);
    // A longer log, so that a replay takes long enough to be interrupted: 6,000 placed bookings of another event.
    const store = await openTestEventStore(database.url);
    const context = { correlationId: randomUUID(), causationId: null, userId: 'auth0|seeder' };
    const otherEvent = randomUUID();
    for (let batch = 0; batch < 60; batch++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => {
        const id = randomUUID();
        const data = { bookingId: id, eventId: otherEvent, userId: `auth0|bulk-${batch}-${i}`, items: [{ seatId: randomUUID(), priceMinor: 1000 }], totalMinor: 1000, currency: 'USD', expiresAt: '2030-01-01T00:00:00.000Z', requestHash: 'x' };
        return store.appendToStream(`booking-${id}`, [{ type: 'BookingPlaced', data }], { expectedRevision: 'no_stream', context });
      }));
    }
    await store.close();
  });
  afterAll(async () => {
    await sql?.end();
    await app?.close();
    await database?.drop();
  });

  it('answers --help for every command', async () => {
    const commands = [[], ['replay'], ['verify'], ['audit'], ['audit', 'booking'], ['audit', 'event'], ['state', 'booking'], ['export'], ['ticket-keys'], ['ticket-keys', 'rotate']];
    // Side by side: each is a process of its own, and a node process's start is most of each.
    const answers = await Promise.all(commands.map((args) => eventix(...args, '--help')));
    for (const [i, { code, stdout }] of answers.entries()) {
      expect({ args: commands[i], code }).toEqual({ args: commands[i], code: 0 });
      expect(stdout).toContain('Usage: eventix');
    }
    expect((await eventix('state', 'booking', bookingId)).code).toBe(2); // --as-of is required
  });

  it('tells a booking’s history, with who, when, correlation, causation and an intact hash chain', async () => {
    const { code, stdout } = await eventix('audit', 'booking', bookingId);
    expect(code).toBe(0);
    for (const type of ['BookingPlaced', 'PaymentRequested', 'PaymentProcessing', 'PaymentSucceeded', 'BookingConfirmed']) expect(stdout).toContain(type);
    expect(stdout).toMatch(/by auth0\|alice +correlation \S+ +causation http:/);
    expect(stdout).toContain(`hash chain of booking-${bookingId}: intact (2 events)`);
    const asJson = JSON.parse((await eventix('audit', 'booking', bookingId, '--json')).stdout);
    expect(asJson.events.map((e: { type: string }) => e.type)).toEqual(['BookingPlaced', 'PaymentRequested', 'PaymentProcessing', 'PaymentSucceeded', 'BookingConfirmed']);
    expect((await eventix('audit', 'event', eventId)).stdout).toContain('EventPublished');
    expect((await eventix('audit', 'booking', randomUUID())).code).toBe(1);
  });

  it('gives a booking’s state as of an instant: PENDING before its confirmation, CONFIRMED after', async () => {
    const before = JSON.parse((await eventix('state', 'booking', bookingId, '--as-of', new Date(confirmedAt - 1).toISOString())).stdout);
    const after = JSON.parse((await eventix('state', 'booking', bookingId, '--as-of', new Date(confirmedAt).toISOString())).stdout);
    expect(before).toMatchObject({ status: 'PENDING', ticketReference: null, totalAmount: '240.00' });
    expect(after).toMatchObject({ status: 'CONFIRMED', ticketReference: expect.stringMatching(/^TKT-/), payment: { status: 'SUCCESS', refunded: false } });
  });

  it('exports events as NDJSON, the whole log or one stream', async () => {
    const all = (await eventix('export', '--format', 'ndjson')).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(all).toHaveLength((await wholeLog(database.url)).length);
    const one = (await eventix('export', '--stream', `booking-${bookingId}`, '--format', 'ndjson')).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(one.map((e) => [e.revision, e.type])).toEqual([[0, 'BookingPlaced'], [1, 'BookingConfirmed']]);
    expect(one[0].metadata.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("shows a booking's scans at the door in its audit and its event's, and lists, rotates and revokes an event's ticket keys", async () => {
    const http = () => request(app.getHttpServer());
    const alice = await bearer('auth0|alice');
    const [first, second] = (await http().get(`/bookings/${bookingId}/tickets`).set('authorization', alice).expect(200)).body.tickets;
    const gate = await bearer('auth0|gate', { permissions: ['checkin:write'] });
    await http().post(`/events/${eventId}/check-ins`).set('authorization', gate).send({ code: first.code, gate: 'North' }).expect(200);
    await http().post(`/events/${eventId}/check-ins`).set('authorization', gate).send({ code: first.code, gate: 'South' }).expect(409);
    const audit = JSON.parse((await eventix('audit', 'booking', bookingId, '--json')).stdout);
    expect(audit.events.map((e: { type: string }) => e.type).slice(-2)).toEqual(['TicketAdmitted', 'DuplicateScanRecorded']);
    expect(audit.chains).toContainEqual(expect.objectContaining({ stream: `door-${eventId}`, intact: true }));
    const state = JSON.parse((await eventix('state', 'booking', bookingId, '--as-of', new Date().toISOString())).stdout);
    expect(state.admissions).toEqual([
      { ticketId: first.ticketId, seatId: first.seatId, admitted: { at: expect.any(String), gate: 'North' }, duplicates: 1 },
    ]);
    expect((await eventix('audit', 'event', eventId)).stdout).toContain(`hash chain of door-${eventId}: intact (2 events)`);

    const listed = JSON.parse((await eventix('ticket-keys', 'list', eventId)).stdout).keys;
    expect(listed).toHaveLength(1);
    const rotated = JSON.parse((await eventix('ticket-keys', 'rotate', eventId)).stdout);
    expect(rotated.kid).not.toBe(listed[0].kid);
    expect(JSON.parse((await eventix('ticket-keys', 'list', eventId)).stdout).keys.map((k: { kid: string }) => k.kid)).toEqual([rotated.kid, listed[0].kid]);
    expect((await eventix('ticket-keys', 'revoke', eventId, listed[0].kid)).code).toBe(0);
    expect((await eventix('ticket-keys', 'revoke', eventId, listed[0].kid)).code).toBe(1);
    expect((await eventix('ticket-keys', 'list', randomUUID())).code).toBe(1);
    // The app's own cache keeps the revoked key up to a minute; a second instance reads the table afresh.
    const other = await startApp({ DATABASE_URL: database.url });
    try {
      const refused = await request(other.getHttpServer()).post(`/events/${eventId}/check-ins`).set('authorization', gate).send({ code: second.code }).expect(400);
      expect(refused.body.detail).toMatch(/not signed with a key of this event/);
      const reissued = (await request(other.getHttpServer()).get(`/bookings/${bookingId}/tickets`).set('authorization', alice).expect(200)).body.tickets;
      await request(other.getHttpServer()).post(`/events/${eventId}/check-ins`).set('authorization', gate).send({ code: reissued[1].code }).expect(200);
    } finally {
      await other.close();
    }
  });

  it('replays while the API answers (never an empty seat map), then verify agrees; a tampered row is drift', async () => {
    let queries = 0;
    let replaying = true;
    const problems: string[] = [];
    const reader = (async () => {
      while (replaying) {
        const map = await request(app.getHttpServer()).get(`/events/${eventId}/seat-map`);
        queries++;
        if (map.status !== 200 || map.body.seats?.length !== 20 || map.body.counts.SOLD !== 2) problems.push(`${map.status} ${JSON.stringify(map.body).slice(0, 200)}`);
      }
    })();
    const replay = await eventix('replay');
    replaying = false;
    await reader;
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/replay: \d+ events into catalog, booking, payment, check-in in [\d.]+ s \(\d+ events\/s\)/);
    expect({ queries: queries > 5, problems }).toEqual({ queries: true, problems: [] });

    const agreed = await eventix('verify');
    expect(agreed.stdout).toContain('the read models agree with the event log');
    expect(agreed.code).toBe(0);

    await sql.query(`UPDATE booking.bookings SET total_amount = 1.00 WHERE id = $1`, [bookingId]);
    const drift = await eventix('verify');
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain('DRIFT in booking.bookings');
    expect(drift.stdout).toContain(bookingId);
    await eventix('replay', '--projection', 'booking');
    expect((await eventix('verify')).code).toBe(0);
  });

  it('leaves the live read models untouched when a replay is killed half-way, and the next run succeeds', async () => {
    const dump = async () => (await sql.query(`SELECT id, status, total_amount FROM booking.bookings ORDER BY id`)).rows;
    const before = await dump();
    // A reader in a long transaction holds the swap back: the replay is killed with its shadows built, waiting to swap them in.
    const reader = new Client({ connectionString: database.url });
    await reader.connect();
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM booking.bookings');
    const child = spawn(process.execPath, ['dist/src/cli.js', 'replay'], { env: env(), stdio: 'ignore' });
    await eventually(async () => {
      const { rows } = await sql.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'LOCK TABLE%'`);
      return rows[0].n > 0;
    }, 30_000, 'the replay to wait to swap its shadows in');
    expect((await sql.query(`SELECT count(*)::int AS n FROM booking.bookings__shadow`)).rows[0].n).toBe(before.length);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    await reader.end();
    expect(await dump()).toEqual(before);
    const again = await eventix('replay');
    expect(again.code).toBe(0);
    expect(await dump()).toEqual(before);
    expect((await sql.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE '%\\_\\_shadow'`)).rows[0].n).toBe(0);
  });

  it('passes by events another application wrote: projectors, export, replay and verify go on; verify --log counts them as foreign', async () => {
    const foreign = `erp-${randomUUID()}`;
    await writeForeignEvents(database.url, foreign);
    // After them in the log, a booking: the projectors reach it.
    const fan = await bearer('auth0|fan-after-foreign');
    const booked = await request(app.getHttpServer()).post('/bookings').set('authorization', fan).send({ eventId, seatIds: [freeSeat] }).expect(201);
    await request(app.getHttpServer()).get(`/bookings/${booked.body.id}`).set('authorization', fan).set('x-min-position', booked.body.position).expect(200);

    const exported = (await eventix('export', '--format', 'ndjson')).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(exported.filter((e) => e.stream === foreign)).toEqual([]);
    expect(exported).toHaveLength((await wholeLog(database.url)).length);
    const log = await eventix('verify', '--log');
    expect(log.code).toBe(0);
    expect(log.stdout).toContain('verify --log: 3 foreign events (not written by Eventix) in 1 streams skipped');
    expect(log.stdout).toMatch(/every chain intact/);
    expect((await eventix('replay')).code).toBe(0);
    expect((await eventix('verify')).code).toBe(0);
  });

  it('verifies the hash chain of every stream of the log', async () => {
    const intact = await eventix('verify', '--log');
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/every chain intact/);
  });

  itOnPostgresStore('finds an event altered in the store, naming its stream and revision', 'it alters a row of the PostgreSQL store; EventStoreDB offers no way to alter a written event', async () => {
    await sql.query(`UPDATE eventstore.events SET data = jsonb_set(data, '{totalMinor}', '1') WHERE stream_name = $1 AND stream_revision = 0`, [`booking-${bookingId}`]);
    const broken = await eventix('verify', '--log');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN LINK in stream booking-${bookingId} at revision 0`);
    expect((await eventix('audit', 'booking', bookingId)).stdout).toContain(`hash chain of booking-${bookingId}: BROKEN at revision 0`);
  });
});
