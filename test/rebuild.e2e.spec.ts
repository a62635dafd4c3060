import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { migrations } from '../migrations/all.js';
import { inlined } from '../src/projections/projector.js';
import { PROJECTORS } from '../src/projections/projectors.js';
import { Rebuild } from '../src/projections/replay.js';
import { validateEnvironment } from '../src/config.js';
import { upcast } from '../src/write/domain-event.js';
import { UserKeys } from '../src/write/privacy/user-keys.js';
import type { Event, EventStore } from '../src/write/event-store/event-store.port.js';
import { createTestDatabase } from './support/database.js';
import { wholeLog } from './support/event-log.js';
import { onEventStoreDb, openTestEventStore } from './support/event-store.js';
import { eventually } from './support/eventually.js';

/**
 * A rebuild folds the log in memory (each projector's `fold`); the live projectors apply it
 * statement by statement (`project`). For random histories, in any order the log may hold them —
 * seats added after an event was created, a booking confirmed twice or cancelled after it was
 * confirmed, a seat booked again after a cancellation, a payment retried, an outcome for a payment
 * never requested, amounts in currencies with and without decimals, events stored at an older
 * version — both must give the same rows in every table, to the last timestamp.
 */
type Step =
  | { kind: 'seats'; venue: number; count: number }
  | { kind: 'event'; venue: number; price: number }
  | { kind: 'prices'; event: number; price: number }
  | { kind: 'status'; event: number; to: 'EventPublished' | 'EventCancelled' }
  | { kind: 'place'; event: number; seats: number[] }
  | { kind: 'end'; booking: number; to: 'BookingConfirmed' | 'BookingCancelled' }
  | { kind: 'pay'; booking: number; to: 'PaymentRequested' | 'PaymentProcessing' | 'PaymentSucceeded' | 'PaymentFailed' | 'RefundRequested' | 'PaymentRefunded' };

// Bookings and their outcomes are most of a real log, and where the seat map's rows change hands.
const steps = fc.array(
  fc.oneof(
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('seats' as const), venue: fc.nat(1), count: fc.integer({ min: 1, max: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('event' as const), venue: fc.nat(1), price: fc.integer({ min: 1, max: 99_999_99 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('prices' as const), event: fc.nat(3), price: fc.integer({ min: 1, max: 99_999_99 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('status' as const), event: fc.nat(3), to: fc.constantFrom('EventPublished' as const, 'EventCancelled' as const) }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('place' as const), event: fc.nat(3), seats: fc.uniqueArray(fc.nat(9), { minLength: 1, maxLength: 3 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('end' as const), booking: fc.nat(3), to: fc.constantFrom('BookingConfirmed' as const, 'BookingCancelled' as const) }) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('pay' as const),
        booking: fc.nat(3),
        to: fc.constantFrom('PaymentRequested' as const, 'PaymentProcessing' as const, 'PaymentSucceeded' as const, 'PaymentFailed' as const, 'RefundRequested' as const, 'PaymentRefunded' as const),
      }),
    },
  ),
  { minLength: 1, maxLength: 60 },
);
/** Every history starts with seats and an event at each venue; the steps may add more of both, before or after. */
const opening: Step[] = [
  { kind: 'seats', venue: 0, count: 4 }, { kind: 'seats', venue: 1, count: 3 },
  { kind: 'event', venue: 0, price: 8_000 }, { kind: 'event', venue: 1, price: 4_550 },
];

/** Histories that random steps reach only now and then, tried on every run. */
const EXAMPLES: Step[][] = [
  // A payment retried after it was processing, and after it failed.
  [{ kind: 'place', event: 0, seats: [0] }, { kind: 'pay', booking: 0, to: 'PaymentRequested' }, { kind: 'pay', booking: 0, to: 'PaymentProcessing' },
    { kind: 'pay', booking: 0, to: 'PaymentRequested' }, { kind: 'pay', booking: 0, to: 'PaymentFailed' }, { kind: 'pay', booking: 0, to: 'PaymentRequested' }],
  // Confirmed, then cancelled; its seat booked again, and the old booking's outcome arriving late.
  [{ kind: 'place', event: 0, seats: [0, 1] }, { kind: 'end', booking: 0, to: 'BookingConfirmed' }, { kind: 'end', booking: 0, to: 'BookingCancelled' },
    { kind: 'place', event: 0, seats: [1] }, { kind: 'end', booking: 0, to: 'BookingConfirmed' }, { kind: 'end', booking: 1, to: 'BookingConfirmed' }],
  // Seats added to a venue whose events exist, then booked; an event created after them.
  [{ kind: 'seats', venue: 0, count: 2 }, { kind: 'place', event: 0, seats: [4, 5] }, { kind: 'event', venue: 0, price: 1 }, { kind: 'place', event: 2, seats: [5] },
    { kind: 'prices', event: 2, price: 99_999_99 }, { kind: 'status', event: 2, to: 'EventCancelled' }],
];

/** The steps as appends: [stream, events] in log order. */
const history = (chosen: Step[]): [string, Event[]][] => {
  const venues = [randomUUID(), randomUUID()];
  const seats: string[][] = [[], []];
  const events: { id: string; venue: number; currency: string }[] = [];
  const bookings: { id: string; paymentId: string; total: number; currency: string }[] = [];
  // Text a bulk load must escape (COPY's tab, newline, backslash, its \\N for NULL), and quotes a literal must.
  const awkward = 'tab\there\r\nnew line \\N back\\slash \'quote\' "double" é 🎫';
  const appends: [string, Event[]][] = venues.map((venueId, i) => [
    `venue-${venueId}`,
    [{ type: 'VenueCreated', data: { venueId, name: `Hall ${i} ${awkward}`, location: i === 0 ? null : awkward, capacity: i === 0 ? null : 100 } }],
  ]);
  const prices = (price: number) => [{ seatType: 'VIP', priceMinor: price }, { seatType: 'REGULAR', priceMinor: Math.ceil(price / 2) }];
  // Events in currencies with 2 decimals and with none (¥1500 is 1500.00 in a DECIMAL(10,2) column, $15.00 is 15.00),
  // and, from before #21, events of USD amounts stored without their currency (version 1).
  const currencies = ['USD', 'JPY', 'EUR'];
  const inCurrency = (type: 'EventPricesChanged' | 'PaymentRefunded', currency: string, data: Record<string, unknown>, v1: boolean): Event =>
    currency === 'USD' && v1 ? { type, data } : { type, schemaVersion: 2, data: { ...data, currency } };
  for (const step of chosen) {
    const event = events[('event' in step ? step.event : 0) % Math.max(events.length, 1)];
    const booking = bookings[('booking' in step ? step.booking : 0) % Math.max(bookings.length, 1)];
    switch (step.kind) {
      case 'seats': {
        const added = Array.from({ length: step.count }, () => {
          const seatId = randomUUID();
          seats[step.venue].push(seatId);
          return { seatId, row: 'A', number: seats[step.venue].length, type: seats[step.venue].length % 2 ? 'VIP' : 'REGULAR' };
        });
        appends.push([`venue-${venues[step.venue]}`, [{ type: 'SeatsAdded', data: { venueId: venues[step.venue], seats: added } }]]);
        break;
      }
      case 'event': {
        const eventId = randomUUID();
        const currency = currencies[step.price % currencies.length];
        events.push({ id: eventId, venue: step.venue, currency });
        appends.push([`event-${eventId}`, [{ type: 'EventCreated', data: { eventId, venueId: venues[step.venue], name: 'Show', description: step.price % 2 ? null : awkward,
          startTime: '2030-01-01T20:00:00.000Z', endTime: '2030-01-01T23:00:00.000Z', currency, prices: prices(step.price) } }]]);
        break;
      }
      case 'prices':
        if (event) appends.push([`event-${event.id}`, [inCurrency('EventPricesChanged', event.currency, { eventId: event.id, prices: prices(step.price).slice(step.price % 2) }, step.price % 3 === 0)]]);
        break;
      case 'status':
        if (event) appends.push([`event-${event.id}`, [{ type: step.to, data: { eventId: event.id } }]]);
        break;
      case 'place': {
        const ofVenue = event ? seats[event.venue] : [];
        if (!event || ofVenue.length === 0) break;
        const bookingId = randomUUID();
        const items = [...new Set(step.seats.map((i) => ofVenue[i % ofVenue.length]))].map((seatId, i) => ({ seatId, priceMinor: 1_000 * (i + 1) }));
        const total = items.reduce((sum, item) => sum + item.priceMinor, 0);
        bookings.push({ id: bookingId, paymentId: randomUUID(), total, currency: event.currency });
        appends.push([`booking-${bookingId}`, [{ type: 'BookingPlaced', data: { bookingId, eventId: event.id, userId: `user-${bookings.length % 3}`, items, totalMinor: total,
          currency: event.currency, expiresAt: '2030-01-01T10:00:00.000Z', requestHash: 'h' } }]]);
        break;
      }
      case 'end':
        if (booking)
          appends.push([`booking-${booking.id}`, [step.to === 'BookingConfirmed'
            ? { type: step.to, data: { bookingId: booking.id, paymentId: booking.paymentId, ticketReference: `TKT-${booking.id}` } }
            : { type: step.to, data: { bookingId: booking.id, reason: 'owner' } }]]);
        break;
      case 'pay': {
        if (!booking) break;
        const { paymentId, currency } = booking;
        if (step.to === 'PaymentRefunded') {
          const refunded = { paymentId, bookingId: booking.id, amountMinor: booking.total, reason: 'late', refundId: `re_${paymentId.slice(0, 8)}` };
          appends.push([`payment-${paymentId}`, [inCurrency('PaymentRefunded', currency, refunded, step.booking % 2 === 0)]]);
          break;
        }
        const data = {
          PaymentRequested: { paymentId, bookingId: booking.id, userId: 'user-0', attempt: 1, amountMinor: booking.total, currency, provider: 'test', paymentMethod: 'pm_card_visa', idempotencyKey: null },
          PaymentProcessing: { paymentId, attempt: 1, externalId: `pi_${paymentId.slice(0, 8)}` },
          PaymentSucceeded: { paymentId, attempt: 1, externalId: `pi_${paymentId.slice(0, 8)}` },
          PaymentFailed: { paymentId, attempt: 1, reason: awkward },
          RefundRequested: { paymentId, bookingId: booking.id, amountMinor: booking.total, currency, reason: 'late' },
        }[step.to];
        appends.push([`payment-${paymentId}`, [{ type: step.to, data }]]);
        break;
      }
    }
  }
  return appends;
};

describe('a rebuild from the log', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: EventStore | undefined;
  let pool: Pool;
  let db: DataSource;
  let users: UserKeys;
  let cases = 0;
  const tables = PROJECTORS.flatMap((p) => p.tables);

  /** Empty read models and an empty log for a case, and the store to append to it. */
  const emptied = async (): Promise<{ store: EventStore; logName: string }> => {
    await pool.query(`TRUNCATE ${tables.join(', ')} CASCADE`);
    if (!onEventStoreDb()) {
      store ??= await openTestEventStore(database.url);
      await pool.query(`TRUNCATE eventstore.events, eventstore.streams CASCADE`);
      return { store, logName: '' };
    }
    // EventStoreDB keeps what it is given: each case appends to a log (a stream prefix) of its own.
    await store?.close();
    const logName = `case${++cases}`;
    store = await openTestEventStore(database.url, logName);
    return { store, logName };
  };

  beforeAll(async () => {
    database = await createTestDatabase('rebuild');
    db = new DataSource({ type: 'postgres', url: database.url, migrations });
    await db.initialize();
    await db.runMigrations();
    users = new UserKeys(db, validateEnvironment({ DATABASE_URL: database.url }));
    pool = new Pool({ connectionString: database.url, max: 4 });
  });

  afterAll(async () => {
    await db.destroy();
    await store?.close();
    await pool.end();
    await database.drop();
  });

  it('folded in memory gives the tables that the projectors give statement by statement', async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(steps, async (chosen) => {
        const { store, logName } = await emptied();
        // Appended one by one in order, so that the log's order is the steps' order.
        for (const [stream, events] of history([...opening, ...chosen])) await store.appendToStream(stream, events, { expectedRevision: 'any', context: { correlationId: randomUUID(), causationId: null, userId: 'test' } });
        const log = await wholeLog(database.url, logName);
        // The live projectors' way: each event's statements, in log order, on the live tables, read as today's shape as the live runner reads it.
        for (const event of log.map((stored) => upcast(stored))) for (const projector of PROJECTORS) if (projector.handles.has(event.type)) for (const statement of projector.project(event)) await pool.query(inlined(statement));
        // readAll returns what no older transaction on the server can still join (STYLE.md §3): wait for all of it.
        await eventually(async () => (await store.readAll({ limit: 10_000 })).length === log.length, 30_000, 'the whole log to be readable');
        const rebuild = new Rebuild(pool, store, PROJECTORS, users);
        await rebuild.build({ position: log[log.length - 1].position });
        // What it read: the events of the types the projectors follow (a RefundRequested, for one, changes no table).
        expect(rebuild.applied).toBe(log.filter((event) => rebuild.types.includes(event.type)).length);
        const client = await pool.connect();
        try {
          expect(await rebuild.differences(client)).toEqual([]);
        } finally {
          client.release();
          await rebuild.dropShadows();
        }
        compared++;
      }),
      { numRuns: 60, examples: EXAMPLES.map((example) => [example]) },
    );
    expect(compared).toBeGreaterThanOrEqual(60);
  });
});
