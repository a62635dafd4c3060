// Hot on-sale: one event of 10,000 seats, 200 concurrent buyers racing for overlapping seats until
// every seat is sold, against Eventix and, in the same run, the reference implementation of the
// original design (bench/reference: PostgreSQL transactions with SELECT … FOR UPDATE, data-model.md
// §5.2) behind the same HTTP stack — as written, and corrected (seat rows locked first).
// Buyers prefer the best seats (Zipf-like), learn of taken seats from each 409's conflictingSeatIds,
// and refresh their view from the seat map every 5 s. Measured meanwhile: the seat map's latency
// (alone before the sale and under it), and Eventix's projection lag (booking accepted → visible).
// Beside it, best available (#19): the same number of seats in four sections, ONSALE_BUYERS (1,000) buyers each
// asking for a group of 1–4 seats of one category (POST /bookings with quantity and seatType) again and again, until
// the service answers that no block that size is left; the service chooses, so nothing collides.
// Usage: node bench/onsale.mjs [runs=1] [seats=10000] [clients=200]
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { migrations } from '../dist/migrations/all.js';
import { PostgresEventStore } from '../dist/src/write/event-store/postgres.event-store.js';
import { layoutOf } from '../dist/src/write/catalog/venue-layout.js';
import { loneSeats, SeatAllocator } from '../dist/src/write/seat-inventory/best-available.js';
import { benchDatabase, chooseSeats, httpClient, machine, median, percentile, rng, startServer, stopServer, summary, token } from './support.mjs';

const runs = Number(process.argv[2] ?? 1);
const SEATS = Number(process.argv[3] ?? 10_000);
const CLIENTS = Number(process.argv[4] ?? 200);
const REFRESH_MS = 5_000;
const BUYERS = Number(process.env.ONSALE_BUYERS ?? 1_000);
const SECTIONS = ['Stalls', 'Circle', 'Upper Circle', 'Balcony'];
/** The seat map's latency is measured on an event of its own this size, alone and while the on-sale runs. */
const BIG_EVENT_SEATS = Number(process.env.SEAT_MAP_SEATS ?? 20_000);
/** Seat maps timed one after another before the sale: enough that the p99 is not simply the slowest one. */
const ALONE_SAMPLES = 200;
/**
 * A sale stops here if not sold out (ONSALE_TIME_LIMIT_S): the references sell ~20–40 bookings/s, and
 * `npm run bench` must end within 10 minutes. Rates are then over the time it ran.
 */
const TIME_LIMIT_S = Number(process.env.ONSALE_TIME_LIMIT_S ?? 60);
const TIME_LIMIT_MS = TIME_LIMIT_S * 1000;
const { http, close: closeHttp } = httpClient(Math.max(CLIENTS, BUYERS) + 10);

const layout = (count) =>
  Array.from({ length: count }, (_, i) => ({ row: `R${String(Math.floor(i / 100)).padStart(3, '0')}`, number: (i % 100) + 1, type: i < count * 0.1 ? 'VIP' : i < count * 0.5 ? 'REGULAR' : 'ECONOMY' }));
/** The same seats in sections: each section a quarter of them, in rows of 100 (its first tenth VIP, the next four tenths REGULAR). */
const sectionedLayout = (count) => {
  const perSection = Math.ceil(count / SECTIONS.length);
  const oneSection = layout(perSection);
  return Array.from({ length: count }, (_, i) => ({ ...oneSection[i % perSection], section: SECTIONS[Math.floor(i / perSection)] }));
};
const prices = [{ seatType: 'VIP', price: '150.00' }, { seatType: 'REGULAR', price: '60.00' }, { seatType: 'ECONOMY', price: '25.00' }];

/** Eventix: the catalog through its own API; answers the event id once its seat map shows every seat. */
const seedEventix = async (port, count, sections = false) => {
  const admin = await token('bench|organiser', ['catalog:write']);
  const venue = await http(port, 'POST', '/venues', { auth: admin, body: { name: 'Arena', capacity: count } });
  const seats = sections ? sectionedLayout(count) : layout(count);
  // A request's body is at most 64 KB: 1,000 seats, or 500 with their sections' names.
  const perRequest = sections ? 500 : 1_000;
  for (let i = 0; i < seats.length; i += perRequest) {
    const added = await http(port, "POST", `/venues/${venue.body.id}/seats`, { auth: admin, body: { seats: seats.slice(i, i + perRequest) } });
    if (added.status !== 201) throw new Error(`adding seats: ${added.status} ${JSON.stringify(added.body)}`);
  }
  const event = await http(port, 'POST', '/events', { auth: admin, body: { venueId: venue.body.id, name: 'Hot on-sale', startTime: '2030-01-01T20:00:00Z', endTime: '2030-01-01T23:00:00Z', prices } });
  const published = await http(port, 'POST', `/events/${event.body.id}/publish`, { auth: admin });
  await http(port, 'GET', `/events/${event.body.id}/seat-map`, { headers: { 'x-min-position': published.body.position } });
  return event.body.id;
};

/** The reference: the documented tables, seeded directly. */
const seedReference = async (url, count) => {
  const db = new DataSource({ type: 'postgres', url, migrations });
  await db.initialize();
  await db.runMigrations();
  const [{ id: venueId }] = await db.query(`INSERT INTO catalog.venues (name, capacity) VALUES ('Arena', $1) RETURNING id`, [count]);
  const seats = layout(count);
  await db.query(`INSERT INTO catalog.seats (venue_id, row, number, type) SELECT $1, s.row, s.number, s.type::catalog.seat_type FROM jsonb_to_recordset($2::jsonb) AS s(row text, number int, type text)`, [venueId, JSON.stringify(seats)]);
  const [{ id: eventId }] = await db.query(`INSERT INTO catalog.events (venue_id, name, start_time, end_time, status) VALUES ($1, 'Hot on-sale', '2030-01-01 20:00', '2030-01-01 23:00', 'PUBLISHED') RETURNING id`, [venueId]);
  for (const p of prices) await db.query(`INSERT INTO catalog.event_seat_prices (event_id, seat_type, price) VALUES ($1, $2, $3)`, [eventId, p.seatType, p.price]);
  await db.query('ANALYZE');
  await db.destroy();
  return eventId;
};

/** Time to a whole seat map of the big event (answer read to the end, neither decoded nor parsed). */
const timeSeatMap = async (port, eventId) => {
  const t = performance.now();
  const { status } = await http(port, 'GET', `/events/${eventId}/seat-map`, { raw: true });
  if (status !== 200) throw new Error(`seat map: ${status}`);
  return performance.now() - t;
};

/** The big event's seat map timed ALONE_SAMPLES times, one after another, before a sale. */
const seatMapAlone = async (port, bigEventId) => {
  const alone = [];
  for (let i = 0; i < ALONE_SAMPLES; i++) alone.push(await timeSeatMap(port, bigEventId));
  return alone;
};

/** Runs the sale, timing the big event's seat map every 200 ms meanwhile; answers those times. */
const probing = async (port, bigEventId, sale) => {
  const underLoad = [];
  let selling = true;
  const probe = (async () => {
    while (selling) {
      underLoad.push(await timeSeatMap(port, bigEventId));
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  await sale();
  selling = false;
  await probe;
  return underLoad;
};

/** The latency figures every sale reports. */
const timings = (latencies, alone, underLoad, lags) => ({
  p50: percentile(latencies, 50), p99: percentile(latencies, 99),
  seatMapAloneP50: percentile(alone, 50), seatMapAloneP99: percentile(alone, 99),
  seatMapUnderLoadP50: percentile(underLoad, 50), seatMapUnderLoadP99: percentile(underLoad, 99),
  lagP50: lags.length ? percentile(lags, 50) : null, lagP99: lags.length ? percentile(lags, 99) : null,
});

const onSale = async (port, eventId, bigEventId, isEventix) => {
  const seatMap = async () => (await http(port, 'GET', `/events/${eventId}/seat-map`)).body.seats;
  const ordered = (await seatMap()).map((s) => s.seatId); // best seats first (row, number)
  if (ordered.length !== SEATS) throw new Error(`the seat map shows ${ordered.length} seats, not ${SEATS}`);
  const indexOf = new Map(ordered.map((id, i) => [id, i]));
  const alone = await seatMapAlone(port, bigEventId);
  const latencies = [];
  const lags = [];
  let bookings = 0, seatsSold = 0, conflicts = 0, errors = 0, lastSale = 0;
  /** [ms since the start, bookings, seats sold] after each sale: rates over the same part of the sale for every system. */
  const progress = [];
  const started = performance.now();
  const deadline = started + TIME_LIMIT_MS;
  const tokens = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => token(`bench|buyer-${i}`)));

  const buyer = async (i) => {
    const next = rng(i + 1);
    let view = new Set(ordered.map((_, index) => index));
    let refreshed = performance.now() + next() * REFRESH_MS;
    while (view.size > 0 && performance.now() < deadline) {
      if (performance.now() - refreshed > REFRESH_MS) {
        view = new Set((await seatMap()).filter((s) => s.status === 'AVAILABLE').map((s) => indexOf.get(s.seatId)));
        refreshed = performance.now();
        if (view.size === 0) break;
      }
      const wanted = chooseSeats(view, next);
      const seatIds = [...wanted].map((index) => ordered[index]);
      const t = performance.now();
      const response = await http(port, 'POST', '/bookings', { auth: tokens[i], body: { eventId, seatIds } });
      latencies.push(performance.now() - t);
      if (response.status === 201) {
        bookings++;
        seatsSold += seatIds.length;
        lastSale = performance.now();
        progress.push([lastSale - started, bookings, seatsSold]);
        for (const index of wanted) view.delete(index);
        if (isEventix && bookings % 20 === 0) {
          const asked = performance.now();
          await http(port, 'GET', `/bookings/${response.body.id}`, { auth: tokens[i], headers: { 'x-min-position': response.body.position } });
          lags.push(performance.now() - asked);
        }
      } else if (response.status === 409) {
        conflicts++;
        for (const seatId of response.body.conflictingSeatIds ?? []) view.delete(indexOf.get(seatId));
      } else {
        errors++;
      }
    }
  };
  const underLoad = await probing(port, bigEventId, () => Promise.all(Array.from({ length: CLIENTS }, (_, i) => buyer(i))));
  const seconds = (lastSale - started) / 1000;
  return {
    bookings, seatsSold, conflicts, errors, secondsToSellOut: seconds,
    bookingsPerSecond: bookings / seconds, seatsPerSecond: seatsSold / seconds, progress,
    ...timings(latencies, alone, underLoad, lags),
  };
};

/** Weights of the categories buyers ask for: the share of the seats each has. */
const CATEGORIES = [['VIP', 0.1], ['REGULAR', 0.4], ['ECONOMY', 0.5]];

/** Available seats with no available seat next to them in their row, as the service defines them (best-available.ts). */
const loneSeatsOf = (seats) => {
  const free = new Set(seats.filter((s) => s.status === 'AVAILABLE').map((s) => s.seatId));
  return layoutOf(seats).rows.reduce((sum, row) => sum + loneSeats(row, (id) => free.has(id)).length, 0);
};

/**
 * Best available: BUYERS buyers, each with a category (by the seats' shares) and a group of 1–4, book that group
 * again and again until the service answers not-enough-seats. Every other 409 is a collision (the target: none).
 * At the end, what is left: unsold seats, and lone ones among them.
 */
const bestAvailableSale = async (port, eventId, bigEventId) => {
  const alone = await seatMapAlone(port, bigEventId);
  const latencies = [];
  const lags = [];
  let bookings = 0, seatsSold = 0, notEnough = 0, collisions = 0, errors = 0, lastSale = 0, lastPosition = '';
  const freeAtFirstRefusal = {};
  const progress = [];
  const started = performance.now();
  const deadline = started + TIME_LIMIT_MS;
  const tokens = await Promise.all(Array.from({ length: BUYERS }, (_, i) => token(`bench|best-${i}`)));
  const buyer = async (i) => {
    const next = rng(i + 1);
    const r = next();
    const seatType = CATEGORIES.find((_, k) => r < CATEGORIES.slice(0, k + 1).reduce((sum, [, w]) => sum + w, 0))[0];
    const quantity = 1 + Math.floor(next() * 4);
    while (performance.now() < deadline) {
      const t = performance.now();
      const response = await http(port, 'POST', '/bookings', { auth: tokens[i], body: { eventId, quantity, seatType } });
      latencies.push(performance.now() - t);
      if (response.status === 201) {
        bookings++;
        seatsSold += quantity;
        lastSale = performance.now();
        if (response.body.position > lastPosition) lastPosition = response.body.position;
        progress.push([lastSale - started, bookings, seatsSold]);
        if (bookings % 20 === 0) {
          const asked = performance.now();
          await http(port, 'GET', `/bookings/${response.body.id}`, { auth: tokens[i], headers: { 'x-min-position': response.body.position } });
          lags.push(performance.now() - asked);
        }
      } else if (response.status === 409 && /not-enough-seats$/.test(response.body.type)) {
        notEnough++;
        // How many seats of its category were still free, in no block big enough, when the first group was turned away.
        freeAtFirstRefusal[seatType] ??= response.body.available;
        return;
      } else if (response.status === 409) {
        collisions++;
      } else {
        errors++;
      }
    }
  };
  const underLoad = await probing(port, bigEventId, () => Promise.all(Array.from({ length: BUYERS }, (_, i) => buyer(i))));
  const seconds = (lastSale - started) / 1000;
  const left = (await http(port, 'GET', `/events/${eventId}/seat-map`, { headers: { 'x-min-position': lastPosition } })).body.seats;
  return {
    bookings, seatsSold, conflicts: collisions, notEnoughSeats: notEnough, errors, secondsToSellOut: seconds,
    bookingsPerSecond: bookings / seconds, seatsPerSecond: seatsSold / seconds, progress,
    unsoldSeats: left.filter((s) => s.status === 'AVAILABLE').length, loneSeatsLeft: loneSeatsOf(left),
    freeSeatsAtFirstRefusal: Object.values(freeAtFirstRefusal).reduce((a, b) => a + b, 0),
    ...timings(latencies, alone, underLoad, lags),
  };
};

/**
 * The chooser alone, in this process: a 20,000-seat venue (BIG_EVENT_SEATS, in sections) sold out by
 * best-available choices of 1–4 seats of a random category, each taken at once; the time per choice.
 */
const chooserMicroseconds = () => {
  const seats = sectionedLayout(BIG_EVENT_SEATS).map((seat, i) => ({ ...seat, seatId: `s${i}` }));
  const free = new Set(seats.map((s) => s.seatId));
  const allocator = new SeatAllocator(layoutOf(seats), (id) => free.has(id));
  const next = rng(42);
  const times = [];
  for (let misses = 0; misses < 1_000 && free.size > 0; ) {
    const request = { quantity: 1 + Math.floor(next() * 4), seatTypes: [CATEGORIES[Math.floor(next() * 3)][0]] };
    const t = process.hrtime.bigint();
    const chosen = allocator.choose(request);
    times.push(Number(process.hrtime.bigint() - t) / 1_000);
    if (!chosen) { misses++; continue; }
    for (const id of chosen) { free.delete(id); allocator.update(id, false); }
  }
  // Side by side: the same choice made by looking at every seat (an index built afresh for each request).
  const layout = layoutOf(seats);
  free.clear();
  for (const seat of seats.filter((_, i) => next() < 0.5)) free.add(seat.seatId);
  const scans = [];
  for (let i = 0; i < 200; i++) {
    const t = process.hrtime.bigint();
    new SeatAllocator(layout, (id) => free.has(id)).choose({ quantity: 2, seatTypes: ['ECONOMY'] });
    scans.push(Number(process.hrtime.bigint() - t) / 1_000);
  }
  return { choices: times.length, p50: percentile(times, 50), p99: percentile(times, 99), everySeatP50: percentile(scans, 50) };
};

/** The service's peak resident set so far (VmHWM, Linux), in MB. */
const peakRss = async (pid) => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmHWM:\s+(\d+) kB/)[1]) / 1024;
};

/** Seats in more than one active booking: from the event store for Eventix, from the tables for the reference. */
const doubleBooked = async (url, isEventix) => {
  if (!isEventix) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM (SELECT bi.seat_id FROM booking.booking_items bi JOIN booking.bookings b ON b.id = bi.booking_id
      WHERE b.status IN ('PENDING', 'CONFIRMED') GROUP BY bi.seat_id HAVING count(*) > 1) d`);
    await client.end();
    return rows[0].n;
  }
  const store = new PostgresEventStore({ connectionString: url, max: 2 });
  const holders = new Map();
  const cancelled = new Set();
  for (let page = await store.readAll({ limit: 5_000 }); page.length; page = await store.readAll({ after: page.at(-1).position, limit: 5_000 })) {
    for (const e of page) {
      if (e.type === 'BookingPlaced') for (const item of e.data.items) holders.set(item.seatId, [...(holders.get(item.seatId) ?? []), e.data.bookingId]);
      if (e.type === 'BookingCancelled') cancelled.add(e.data.bookingId);
    }
  }
  await store.close();
  return [...holders.values()].filter((bookings) => bookings.filter((b) => !cancelled.has(b)).length > 1).length;
};

const BEST = 'Eventix, best available';
const EVENTIX = 'Eventix';
const CORRECTED = 'reference, §5.2 corrected (seat rows locked first)';
const AS_WRITTEN = 'reference, §5.2 as written';
const LIMITED = 'Eventix, COMMAND_CONCURRENCY=32';
const systems = [
  { name: BEST, script: 'dist/src/main.js', env: {}, eventix: true, bestAvailable: true },
  { name: EVENTIX, script: 'dist/src/main.js', env: {}, eventix: true },
  // The same service with its HTTP commands limited (README, COMMAND_CONCURRENCY): what queries and read-your-writes gain, what bookings lose.
  { name: LIMITED, script: 'dist/src/main.js', env: { COMMAND_CONCURRENCY: '32' }, eventix: true },
  { name: CORRECTED, script: 'dist/bench/reference/main.js', env: { REFERENCE_LOCKING: 'seats-first' }, eventix: false },
  { name: AS_WRITTEN, script: 'dist/bench/reference/main.js', env: { REFERENCE_LOCKING: 'as-written' }, eventix: false },
];
// ONSALE_SYSTEMS=eventix (or reference) runs only those, for a quick look; ratios need all four.
if (process.env.ONSALE_SYSTEMS) systems.splice(0, systems.length, ...systems.filter((s) => process.env.ONSALE_SYSTEMS.split(',').some((w) => s.name.toLowerCase().includes(w))));
const results = Object.fromEntries(systems.map((s) => [s.name, []]));
for (let run = 1; run <= runs; run++) {
  for (const system of systems) {
    const database = await benchDatabase('onsale');
    const port = 3200 + run;
    let eventId, bigEventId;
    if (!system.eventix) [eventId, bigEventId] = [await seedReference(database.url, SEATS), await seedReference(database.url, BIG_EVENT_SEATS)];
    const server = await startServer(system.script, { DATABASE_URL: database.url, ...system.env }, port);
    try {
      if (system.eventix) [eventId, bigEventId] = [await seedEventix(port, SEATS, system.bestAvailable), await seedEventix(port, BIG_EVENT_SEATS, system.bestAvailable)];
      const result = system.bestAvailable ? await bestAvailableSale(port, eventId, bigEventId) : await onSale(port, eventId, bigEventId, system.eventix);
      result.peakRssMb = await peakRss(server.pid);
      result.doubleBookedSeats = await doubleBooked(database.url, system.eventix);
      results[system.name].push(result);
      process.stderr.write(`run ${run} ${system.name}: ${JSON.stringify({ ...result, progress: undefined })}\n`);
    } finally {
      await stopServer(server);
      await new Promise((r) => setTimeout(r, 500));
      await database.drop();
    }
  }
}
closeHttp();

// A sale cut short by the time limit is measured over its first, least contended part. To compare like with
// like, each system's bookings/s is also taken over the first seats every run sold: from the start to the booking
// that took its total to that many.
const commonSeats = Math.min(...Object.values(results).flat().map((r) => r.seatsSold));
const keysOf = (name) => [...new Set(results[name].flatMap((r) => Object.keys(r)))];
for (const result of Object.values(results).flat()) {
  const [ms, bookingsThen] = result.progress.find(([, , sold]) => sold >= commonSeats) ?? [1, 0];
  result.bookingsPerSecondOverCommonSeats = bookingsThen / (ms / 1000);
  delete result.progress;
}

const of = (name, key, digits = 0) => summary(results[name].map((r) => r[key]), digits);
const ratio = (a, b, key) => (median(results[a].map((r) => r[key])) / median(results[b].map((r) => r[key]))).toFixed(1);
console.log(JSON.stringify({
  machine: machine(), date: new Date().toISOString().slice(0, 10), runs, seats: SEATS, clients: CLIENTS, seatMapSeats: BIG_EVENT_SEATS, timeLimitSeconds: TIME_LIMIT_S,
  systems: Object.fromEntries(systems.map(({ name }) => [name, Object.fromEntries(keysOf(name).map((key) => [key, results[name][0][key] === null ? null : of(name, key, ['p50', 'p99', 'secondsToSellOut', 'RssMb'].some((k) => key.includes(k) || key === k) ? 1 : 0)]))])),
  commonSeats, buyers: BUYERS, sections: SECTIONS, chooser: results[BEST] ? chooserMicroseconds() : null,
  bestAvailable: results[BEST] && results[EVENTIX] ? {
    bookingsPerSecondVsPickYourSeat: ratio(BEST, EVENTIX, 'bookingsPerSecond'),
    overCommonSeatsVsPickYourSeat: ratio(BEST, EVENTIX, 'bookingsPerSecondOverCommonSeats'),
    bookingsPerSecondVsCorrectedReference: results[CORRECTED] ? ratio(BEST, CORRECTED, 'bookingsPerSecond') : null,
  } : null,
  ratios: [EVENTIX, LIMITED, CORRECTED, AS_WRITTEN].every((name) => results[name]) ? {
    overCommonSeatsVsCorrectedReference: ratio(EVENTIX, CORRECTED, 'bookingsPerSecondOverCommonSeats'),
    overCommonSeatsVsAsWritten: ratio(EVENTIX, AS_WRITTEN, 'bookingsPerSecondOverCommonSeats'),
    limitedOverCommonSeatsVsCorrectedReference: ratio(LIMITED, CORRECTED, 'bookingsPerSecondOverCommonSeats'),
    bookingsPerSecondVsCorrectedReference: ratio(EVENTIX, CORRECTED, 'bookingsPerSecond'),
    bookingsPerSecondVsAsWritten: ratio(EVENTIX, AS_WRITTEN, 'bookingsPerSecond'),
    limitedBookingsPerSecondVsCorrectedReference: ratio(LIMITED, CORRECTED, 'bookingsPerSecond'),
  } : null,
}, null, 2));
