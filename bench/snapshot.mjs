// Snapshots: the first booking of an instance that starts while a hot event's seat inventory is long.
// Seeds a 20,000-seat venue, a published event, and its seat inventory `seats-<eventId>`: reservations of
// 1–4 seats and releases, as an on-sale with cancellations leaves them, appended straight through the
// PostgreSQL event store in batches. Then starts the service (`node dist/src/main.js`) again and again and
// times its first POST /bookings (and a second one, warm), without snapshots (SNAPSHOT_EVERY_EVENTS=0) and
// with a snapshot present, alternating, side by side in one run. Also times what taking a snapshot of that
// inventory costs the event loop (toSnapshot and JSON.stringify), and its size. Both sides run the same
// build: snapshots are only turned off.
// Usage: node bench/snapshot.mjs [events=200000] [runs=5] (SNAPSHOT_KEEP_DATABASE=1 keeps the seeded database and prints its URL.)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { SignJWT } from 'jose';
import pg from 'pg';
import { DEVELOPMENT_JWT_SECRET } from '../dist/src/config.js';
import { PostgresEventStore } from '../dist/src/write/event-store/postgres.event-store.js';
import { seatInventoryDecider, seatInventorySnapshot } from '../dist/src/write/seat-inventory/seat-inventory.decider.js';
import { benchDatabase, machine, median, summary } from './support.mjs';

const target = Number(process.argv[2] ?? 200_000);
const runs = Number(process.argv[3] ?? 5);
const SEATS = 20_000;
const BATCH = 1_000;
const SNAPSHOT_EVERY_EVENTS = 1_000;
/** Seats the simulated on-sale never touches: each measured booking takes one. */
const KEPT_FREE = 4 * runs + 10;

const database = await benchDatabase('snapshot');
// Seeding is setup, not what is measured: its commits do not wait for the disk (a setting of its own connections).
const store = new PostgresEventStore({ connectionString: database.url, max: 4, options: '-c synchronous_commit=off' });
await store.migrate();
const context = { correlationId: randomUUID(), causationId: null, userId: 'bench' };

// The catalog: a venue of 20,000 seats and an event that sells them.
const venueId = randomUUID();
const eventId = randomUUID();
const seats = Array.from({ length: SEATS }, (_, i) => ({ seatId: randomUUID(), row: `R${String(Math.floor(i / 100)).padStart(3, '0')}`, number: (i % 100) + 1, type: i < 2_000 ? 'VIP' : i < 10_000 ? 'REGULAR' : 'ECONOMY' }));
const venueEvents = [{ type: 'VenueCreated', data: { venueId, name: 'Stadium', location: null, capacity: SEATS } }];
for (let i = 0; i < SEATS; i += 1_000) venueEvents.push({ type: 'SeatsAdded', data: { venueId, seats: seats.slice(i, i + 1_000) } });
await store.appendToStream(`venue-${venueId}`, venueEvents, { expectedRevision: 'no_stream', context });
const prices = [{ seatType: 'VIP', priceMinor: 15_000 }, { seatType: 'REGULAR', priceMinor: 6_000 }, { seatType: 'ECONOMY', priceMinor: 2_500 }];
await store.appendToStream(`event-${eventId}`, [
  { type: 'EventCreated', data: { eventId, venueId, name: 'Stadium on-sale', description: null, startTime: '2030-06-01T19:00:00.000Z', endTime: '2030-06-01T23:00:00.000Z', currency: 'USD', prices } },
  { type: 'EventPublished', data: { eventId } },
], { expectedRevision: 'no_stream', context });

// The inventory: buyers reserve 1–4 free seats; 40 % of the time (always when the hall is full) a held booking is released.
const stream = `seats-${eventId}`;
let seed = 17;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const pick = (array) => {
  const i = Math.floor(random() * array.length);
  const item = array[i];
  array[i] = array[array.length - 1];
  array.pop();
  return item;
};
const keptFree = seats.slice(0, KEPT_FREE).map((seat) => seat.seatId);
const free = seats.slice(KEPT_FREE).map((seat) => seat.seatId);
const held = [];
const nextEvent = () => {
  const size = [1, 2, 2, 2, 2, 3, 3, 4, 4, 1][Math.floor(random() * 10)];
  if (held.length > 0 && (free.length < size || random() < 0.4)) {
    const { bookingId, seatIds } = pick(held);
    free.push(...seatIds);
    return { type: 'SeatsReleased', data: { eventId, bookingId, seatIds, reason: random() < 0.8 ? 'booking-cancelled' : 'booking-not-recorded' } };
  }
  const booking = { bookingId: randomUUID(), seatIds: Array.from({ length: size }, () => pick(free)) };
  held.push(booking);
  return { type: 'SeatsReserved', data: { eventId, ...booking, userId: `auth0|buyer-${Math.floor(random() * 50_000)}` } };
};
const seedStarted = Date.now();
let revision = -1n;
while (revision + 1n < BigInt(target)) {
  const batch = Array.from({ length: Math.min(BATCH, target - Number(revision + 1n)) }, nextEvent);
  ({ nextRevision: revision } = await store.appendToStream(stream, batch, { expectedRevision: revision < 0n ? 'no_stream' : revision, context }));
}
process.stderr.write(`seeded ${target} inventory events (${held.length} bookings holding seats) in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s\n`);

// What taking a snapshot of this inventory costs the event loop: the part of a save that runs on the command's turn, and the rest.
const { events } = await store.readStream(stream);
const inventory = events.reduce((state, event) => seatInventoryDecider.evolve(state, event), seatInventoryDecider.initialState());
const takeMs = [];
const stringifyMs = [];
let snapshotBytes = 0;
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const snapshot = seatInventorySnapshot.toSnapshot(inventory);
  const t1 = performance.now();
  snapshotBytes = Buffer.byteLength(JSON.stringify(snapshot));
  takeMs.push(t1 - t0);
  stringifyMs.push(performance.now() - t1);
}
await store.close();

const sql = new pg.Client({ connectionString: database.url });
await sql.connect();
await sql.query('ANALYZE');
const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const secret = new TextEncoder().encode(DEVELOPMENT_JWT_SECRET);
const token = (sub) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('1h').sign(secret);
const startService = async (snapshotEveryEvents) => {
  const port = await freePort();
  // A long grace: the seeded reservations have no bookings, and the orphan sweep must not release them meanwhile.
  const env = { PATH: process.env.PATH, DATABASE_URL: database.url, PORT: String(port), LOG_LEVEL: 'warn', SNAPSHOT_EVERY_EVENTS: String(snapshotEveryEvents), RESERVATION_GRACE_SECONDS: '3600', BOOKING_RATE_LIMIT: '0' };
  const child = spawn(process.execPath, ['dist/src/main.js'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 300; i++) {
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
    if (ready) return { port, stop: () => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))) };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the service did not start');
};
let buyers = 0;
/** Books one of the kept seats as a new buyer; answers the milliseconds from request to answer. */
const book = async (port) => {
  const auth = await token(`auth0|measured-${buyers++}`);
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}/bookings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
    body: JSON.stringify({ eventId, seatIds: [keptFree.pop()] }),
  });
  await response.text();
  if (response.status !== 201) throw new Error(`POST /bookings: ${response.status}`);
  return performance.now() - started;
};
const snapshotRow = async () => (await sql.query(`SELECT revision, octet_length(state::text) AS bytes FROM snapshots.snapshots WHERE stream_name = $1`, [stream])).rows[0];

// Once, not measured: the projectors follow the seeded log to its end (every later start finds them there).
const warmUp = await startService(0);
const lastPosition = events.at(-1).position;
for (const deadline = Date.now() + 600_000; ; await new Promise((resolve) => setTimeout(resolve, 500))) {
  const { rows } = await sql.query(`SELECT projector, position FROM projections.checkpoints WHERE projector <> 'kafka-publisher'`);
  if (rows.length >= 4 && rows.every((row) => row.position >= lastPosition)) break;
  if (Date.now() > deadline) throw new Error(`the projectors did not catch up: ${JSON.stringify(rows)}`);
}
await warmUp.stop();
// Once, not measured: an instance with snapshots books, and so snapshots the inventory it had to read whole.
const primer = await startService(SNAPSHOT_EVERY_EVENTS);
await book(primer.port);
for (const deadline = Date.now() + 60_000; !(await snapshotRow()); await new Promise((resolve) => setTimeout(resolve, 100))) {
  if (Date.now() > deadline) throw new Error('no snapshot was taken');
}
await primer.stop();
const snapshot = await snapshotRow();
process.stderr.write(`snapshot at revision ${snapshot.revision}, ${snapshot.bytes} bytes of JSON\n`);

const first = { without: [], with: [] };
const warm = { without: [], with: [] };
for (let run = 1; run <= runs; run++) {
  // Alternating which goes first, so that neither always has the warmer machine.
  const order = run % 2 ? ['without', 'with'] : ['with', 'without'];
  for (const kind of order) {
    const service = await startService(kind === 'with' ? SNAPSHOT_EVERY_EVENTS : 0);
    first[kind].push(await book(service.port));
    warm[kind].push(await book(service.port));
    await service.stop();
    process.stderr.write(`run ${run} ${kind} snapshots: first booking ${first[kind].at(-1).toFixed(0)} ms, the next ${warm[kind].at(-1).toFixed(0)} ms\n`);
  }
}
await sql.end();
if (process.env.SNAPSHOT_KEEP_DATABASE) process.stderr.write(`kept ${database.url} (event ${eventId})\n`);
else await database.drop();

const result = {
  machine: machine(),
  events: target,
  seats: SEATS,
  venueEvents: venueEvents.length,
  runs,
  bookingsHolding: held.length,
  snapshot: { everyEvents: SNAPSHOT_EVERY_EVENTS, revision: Number(snapshot.revision), bytes: Number(snapshot.bytes), toSnapshotMs: summary(takeMs, 1), stringifyMs: summary(stringifyMs, 1) },
  firstBookingMs: { without: summary(first.without), with: summary(first.with) },
  nextBookingMs: { without: summary(warm.without), with: summary(warm.with) },
  speedup: (median(first.without) / median(first.with)).toFixed(1),
};
console.log(JSON.stringify(result, null, 2));
