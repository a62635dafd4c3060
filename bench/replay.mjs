// Replay speed: how long an operator waits to rebuild every read model from the log.
// Seeds a realistic log straight through the event store (a 10,000-seat venue, 10 published events,
// bookings with payments, confirmations and cancellations), then times `eventix replay` end to end
// (shadow build and atomic swap) several times. Usage: node bench/replay.mjs [events≈100000] [runs=3]
// (REPLAY_KEEP_DATABASE=1 keeps the seeded database and prints its URL. REPLAY_USER_IDS=encrypted encrypts the
// buyers' ids under their keys, as the service writes them since #22; plain, as before it: bench/privacy.mjs compares the two.)
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { toEnvelopes } from '../dist/src/write/event-store/envelope.js';
import { chainHash, GENESIS_HASH } from '../dist/src/write/event-store/log-hash.js';
import { PostgresEventStore } from '../dist/src/write/event-store/postgres.event-store.js';
import { benchDatabase, buyerIds, machine, summary } from './support.mjs';

const target = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 3);
const database = await benchDatabase('replay');
// Seeding is setup, not what is measured: its commits do not wait for the disk (synchronous_commit off,
// a session setting of the seeding connections only); the replay reads and writes with the server's settings.
const store = new PostgresEventStore({ connectionString: database.url, max: 16, options: '-c synchronous_commit=off' });
await store.migrate();
const userIdOf = await buyerIds(database.url, process.env.REPLAY_USER_IDS === 'encrypted');
const context = { correlationId: randomUUID(), causationId: null, userId: 'bench' };
const at = (n) => new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString();

// The catalog.
const venueId = randomUUID();
const seats = Array.from({ length: 10_000 }, (_, i) => ({ seatId: randomUUID(), row: `R${Math.floor(i / 100)}`, number: (i % 100) + 1, type: i < 1000 ? 'VIP' : i < 5000 ? 'REGULAR' : 'ECONOMY' }));
await store.appendToStream(`venue-${venueId}`, [
  { type: 'VenueCreated', data: { venueId, name: 'Arena', location: null, capacity: 10_000 } },
  { type: 'SeatsAdded', data: { venueId, seats: seats.slice(0, 5_000) } },
  { type: 'SeatsAdded', data: { venueId, seats: seats.slice(5_000) } },
], { expectedRevision: 'no_stream', context });
const events = Array.from({ length: 10 }, () => randomUUID());
for (const eventId of events) {
  await store.appendToStream(`event-${eventId}`, [
    { type: 'EventCreated', data: { eventId, venueId, name: 'Show', description: null, startTime: at(1e6), endTime: at(1e6 + 7200), currency: 'USD', prices: [{ seatType: 'VIP', priceMinor: 15000 }, { seatType: 'REGULAR', priceMinor: 6000 }, { seatType: 'ECONOMY', priceMinor: 2500 }] } },
    { type: 'EventPublished', data: { eventId } },
  ], { expectedRevision: 'no_stream', context });
}

// Bookings: each is placed; 60% are paid and confirmed, 20% cancelled, the rest stay pending.
// They are imported in bulk, 2,000 bookings to a transaction on two connections: the rows
// append_to_stream would write (the same envelopes and hash chains: `eventix verify --log`, which the
// smoke test runs, finds every chain intact), at a fraction of one append per stream's time.
const bookingStreams = (i) => {
  const eventId = events[i % events.length];
  const bookingId = randomUUID();
  const paymentId = randomUUID();
  const items = [{ seatId: seats[(i * 7) % seats.length].seatId, priceMinor: 6000 }, { seatId: seats[(i * 7 + 1) % seats.length].seatId, priceMinor: 6000 }];
  const booking = [{ type: 'BookingPlaced', data: { bookingId, eventId, userId: userIdOf(i), items, totalMinor: 12000, currency: 'USD', expiresAt: at(i + 600), requestHash: 'bench' } }];
  const payment = [];
  if (i % 5 < 3) {
    payment.push(
      { type: 'PaymentRequested', data: { paymentId, bookingId, userId: userIdOf(i), attempt: 1, amountMinor: 12000, currency: 'USD', provider: 'test', paymentMethod: 'pm_card_visa', idempotencyKey: null } },
      { type: 'PaymentProcessing', data: { paymentId, attempt: 1, externalId: `pi_${i}` } },
      { type: 'PaymentSucceeded', data: { paymentId, attempt: 1, externalId: `pi_${i}` } },
    );
    booking.push({ type: 'BookingConfirmed', data: { bookingId, paymentId, ticketReference: `TKT-${bookingId}` } });
  } else if (i % 5 === 3) {
    booking.push({ type: 'BookingCancelled', data: { bookingId, reason: 'owner' } });
  }
  return payment.length ? [[`booking-${bookingId}`, booking], [`payment-${paymentId}`, payment]] : [[`booking-${bookingId}`, booking]];
};
const importStreams = async (client, streams) => {
  const rows = [];
  const heads = [];
  for (const [name, streamEvents] of streams) {
    let hash = GENESIS_HASH;
    toEnvelopes(name, streamEvents, context).forEach((envelope, revision) => {
      hash = chainHash(hash, envelope.digest);
      rows.push({ stream_name: name, stream_revision: revision, event_id: envelope.eventId, event_type: envelope.type, data: envelope.data, metadata: { ...envelope.metadata, hash } });
    });
    heads.push({ stream_name: name, revision: streamEvents.length - 1, last_hash: hash });
  }
  await client.query('BEGIN');
  // In the rows' order, so that each stream's revisions follow the global order, as appends leave them.
  await client.query(
    `INSERT INTO eventstore.events (stream_name, stream_revision, event_id, event_type, data, metadata)
     SELECT stream_name, stream_revision, event_id, event_type, data, metadata
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (stream_name text, stream_revision bigint, event_id uuid, event_type text, data jsonb, metadata jsonb)) WITH ORDINALITY AS r(stream_name, stream_revision, event_id, event_type, data, metadata, n)
      ORDER BY n`,
    [JSON.stringify(rows)],
  );
  await client.query(`INSERT INTO eventstore.streams (stream_name, revision, last_hash) SELECT * FROM jsonb_to_recordset($1::jsonb) AS h(stream_name text, revision bigint, last_hash text)`, [JSON.stringify(heads)]);
  await client.query('COMMIT');
  return rows.length;
};
await store.close();
let written = 3 + events.length * 2;
let n = 0;
const seedStarted = Date.now();
await Promise.all(Array.from({ length: 2 }, async () => {
  const client = new pg.Client({ connectionString: database.url, options: '-c synchronous_commit=off' });
  await client.connect();
  while (written < target) {
    const streams = [];
    for (let b = 0; b < 2_000 && written < target; b++) {
      const made = bookingStreams(n++);
      streams.push(...made);
      written += made.reduce((sum, [, streamEvents]) => sum + streamEvents.length, 0);
    }
    await importStreams(client, streams);
  }
  await client.end();
}));
process.stderr.write(`seeded ${written} events in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s\n`);
// The seeding's gigabyte of WAL starts checkpoints that would otherwise still be writing during the first timed
// run, and longer after a larger log (encrypted ids): finished here, before any clock starts.
{
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query('CHECKPOINT');
  await client.end();
}

// REPLAY_VERIFY_LOG=1 times `eventix verify --log` over the seeded log once; REPLAY_SEAL=1 times `eventix
// seal` and `verify --log --seal` with that seal once (docs/privacy.md). A broken chain or a seal that
// does not match fails the script. With the node flags of the eventix bin, as the replay below.
const timedCli = (args, env = {}) => {
  const started = Date.now();
  const output = execFileSync(process.execPath, ['--max-semi-space-size=64', 'dist/src/cli.js', ...args], { env: { PATH: process.env.PATH, DATABASE_URL: database.url, ...env }, encoding: 'utf8' });
  const elapsed = (Date.now() - started) / 1000;
  process.stderr.write(output);
  return { seconds: Number(elapsed.toFixed(1)), eventsPerSecond: Math.round(written / elapsed) };
};
const checks = {};
if (process.env.REPLAY_VERIFY_LOG) checks.verifyLog = timedCli(['verify', '--log']);
if (process.env.REPLAY_SEAL) {
  // A key made as an operator makes one; the seal written to a file, as a cron job writes it.
  const key = { SEAL_SIGNING_KEY: execFileSync(process.execPath, ['dist/src/cli.js', 'seal-key'], { encoding: 'utf8' }) };
  const sealFile = join(tmpdir(), `eventix-bench-seal-${randomUUID()}.json`);
  checks.seal = timedCli(['seal', '--out', sealFile], key);
  checks.verifyLogWithSeal = timedCli(['verify', '--log', '--seal', sealFile], key);
  rmSync(sealFile);
}

const rates = [];
const seconds = [];
for (let run = 1; run <= runs; run++) {
  const started = Date.now();
  // With the node flags of the eventix bin (its first line) and of `npm run eventix`.
  const output = execFileSync(process.execPath, ['--max-semi-space-size=64', 'dist/src/cli.js', 'replay'], { env: { PATH: process.env.PATH, DATABASE_URL: database.url }, encoding: 'utf8' });
  const elapsed = (Date.now() - started) / 1000;
  seconds.push(elapsed);
  rates.push(written / elapsed);
  process.stderr.write(`run ${run}: ${output.trim()} — ${elapsed.toFixed(1)} s wall\n`);
}
if (process.env.REPLAY_KEEP_DATABASE) process.stderr.write(`kept ${database.url}\n`);
else await database.drop();
const result = { machine: machine(), events: written, runs, seconds: summary(seconds, 1), eventsPerSecond: summary(rates), ...checks };
console.log(JSON.stringify(result, null, 2));
