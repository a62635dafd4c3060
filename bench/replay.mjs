// Replay speed: how long an operator waits to rebuild every read model from the log.
// Seeds a realistic log straight through the event store (a 10,000-seat venue, 10 published events,
// bookings with payments, confirmations and cancellations), then times `eventix replay` end to end
// (shadow build and atomic swap) several times. Usage: node bench/replay.mjs [events≈100000] [runs=3]
// (REPLAY_KEEP_DATABASE=1 keeps the seeded database and prints its URL.)
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '../dist/src/write/event-store/postgres.event-store.js';
import { benchDatabase, machine, summary } from './support.mjs';

const target = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 3);
const database = await benchDatabase('replay');
// Seeding is setup, not what is measured: its commits do not wait for the disk (synchronous_commit off,
// a session setting of the seeding connections only); the replay reads and writes with the server's settings.
const store = new PostgresEventStore({ connectionString: database.url, max: 16, options: '-c synchronous_commit=off' });
await store.migrate();
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
let written = 3 + events.length * 2;
let n = 0;
const oneBooking = async () => {
  const i = n++;
  const eventId = events[i % events.length];
  const bookingId = randomUUID();
  const paymentId = randomUUID();
  const items = [{ seatId: seats[(i * 7) % seats.length].seatId, priceMinor: 6000 }, { seatId: seats[(i * 7 + 1) % seats.length].seatId, priceMinor: 6000 }];
  const booking = [{ type: 'BookingPlaced', data: { bookingId, eventId, userId: `user-${i % 5000}`, items, totalMinor: 12000, currency: 'USD', expiresAt: at(i + 600), requestHash: 'bench' } }];
  const payment = [];
  if (i % 5 < 3) {
    payment.push(
      { type: 'PaymentRequested', data: { paymentId, bookingId, userId: `user-${i % 5000}`, attempt: 1, amountMinor: 12000, currency: 'USD', provider: 'test', paymentMethod: 'pm_card_visa', idempotencyKey: null } },
      { type: 'PaymentProcessing', data: { paymentId, attempt: 1, externalId: `pi_${i}` } },
      { type: 'PaymentSucceeded', data: { paymentId, attempt: 1, externalId: `pi_${i}` } },
    );
    booking.push({ type: 'BookingConfirmed', data: { bookingId, paymentId, ticketReference: `TKT-${bookingId}` } });
  } else if (i % 5 === 3) {
    booking.push({ type: 'BookingCancelled', data: { bookingId, reason: 'owner' } });
  }
  await store.appendToStream(`booking-${bookingId}`, booking, { expectedRevision: 'no_stream', context });
  if (payment.length) await store.appendToStream(`payment-${paymentId}`, payment, { expectedRevision: 'no_stream', context });
  written += booking.length + payment.length;
};
const seedStarted = Date.now();
await Promise.all(Array.from({ length: 16 }, async () => { while (written < target) await oneBooking(); }));
await store.close();
process.stderr.write(`seeded ${written} events in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s\n`);

const rates = [];
const seconds = [];
for (let run = 1; run <= runs; run++) {
  const started = Date.now();
  const output = execFileSync(process.execPath, ['dist/src/cli.js', 'replay'], { env: { PATH: process.env.PATH, DATABASE_URL: database.url }, encoding: 'utf8' });
  const elapsed = (Date.now() - started) / 1000;
  seconds.push(elapsed);
  rates.push(written / elapsed);
  process.stderr.write(`run ${run}: ${output.trim()} — ${elapsed.toFixed(1)} s wall\n`);
}
if (process.env.REPLAY_KEEP_DATABASE) process.stderr.write(`kept ${database.url}\n`);
else await database.drop();
const result = { machine: machine(), events: written, runs, seconds: summary(seconds, 1), eventsPerSecond: summary(rates) };
console.log(JSON.stringify(result, null, 2));
