// Gate rush (#20): an event's TICKETS tickets (default 20,000), confirmed through the real path (best
// available, the test provider's payment, GET /bookings/:id/tickets), then scanned by GATES gates at once
// (default 50), 5 % of them twice (the second scan at a random later moment, through another gate).
// Measured: scans/s, each scan's latency (p50/p99), double admissions (a ticket answered ADMITTED twice, or
// with two TicketAdmitted in its stream: must be 0), and offline verification of the codes on one core with
// the public JWK alone (jose, as a gate's software would; and node:crypto's Ed25519 verify beside it).
// Beside it, the write side's choice of stream ("a stream per ticket, or per event — measure"): the same
// admissions decided through the service's CommandBatcher and deciders on a stream per ticket, and on one
// stream per event (the service's layout).
// Usage: node bench/checkin.mjs [runs=1] [tickets=20000] [gates=50]
// CHECKIN_SERVICE=<path to dist/src/main.js>: the rush against another build (another commit's checkout), for a side-by-side comparison.
import { createPublicKey, randomUUID, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { compactVerify, importJWK } from 'jose';
import pg from 'pg';
import { CommandBatcher, decideInTurn } from '../dist/src/write/event-store/command-batcher.js';
import { PostgresEventStore } from '../dist/src/write/event-store/postgres.event-store.js';
import { StreamCache } from '../dist/src/write/event-store/stream-cache.js';
import { decideDoorBatch, doorDecider, ticketDecider } from '../dist/src/write/tickets/ticket.decider.js';
import { benchDatabase, httpClient, machine, median, percentile, startServer, stopServer, summary, token } from './support.mjs';

const runs = Number(process.argv[2] ?? 1);
const TICKETS = Number(process.argv[3] ?? 20_000);
const GATES = Number(process.argv[4] ?? 50);
const TWICE = 0.05;
const PER_BOOKING = 10;
/** Bookings placed and paid at once while the tickets are made. */
const BUYERS = 50;
/** Admissions decided in the stream-layout comparison. */
const LAYOUT_ADMISSIONS = Math.min(TICKETS, 5_000);
const { http, close: closeHttp } = httpClient(Math.max(GATES, BUYERS) + 10);

/** Runs `work(i)` for i in 0..count-1, `concurrency` at a time. */
const pool = async (count, concurrency, work) => {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await work(next++);
  }));
};

/** A published event of `count` seats in rows of 100. */
const seedEvent = async (port, count) => {
  const admin = await token('bench|organiser', ['catalog:write']);
  const venue = await http(port, 'POST', '/venues', { auth: admin, body: { name: 'Stadium', capacity: count } });
  const seats = Array.from({ length: count }, (_, i) => ({ row: `R${String(Math.floor(i / 100)).padStart(3, '0')}`, number: (i % 100) + 1, type: 'REGULAR' }));
  const seatIds = [];
  for (let i = 0; i < seats.length; i += 1_000) {
    const added = await http(port, 'POST', `/venues/${venue.body.id}/seats`, { auth: admin, body: { seats: seats.slice(i, i + 1_000) } });
    if (added.status !== 201) throw new Error(`adding seats: ${added.status} ${JSON.stringify(added.body)}`);
    seatIds.push(...added.body.seats.map((seat) => seat.seatId));
  }
  const event = await http(port, 'POST', '/events', { auth: admin, body: { venueId: venue.body.id, name: 'Gate rush', startTime: '2030-01-01T20:00:00Z', endTime: '2030-01-01T23:00:00Z', prices: [{ seatType: 'REGULAR', price: '40.00' }] } });
  await http(port, 'POST', `/events/${event.body.id}/publish`, { auth: admin });
  return { eventId: event.body.id, seatIds };
};

/** Every seat sold in bookings of PER_BOOKING, each paid and confirmed; answers every ticket's code, and how fast tickets were issued. */
const sellOut = async (port, { eventId, seatIds }) => {
  const bookings = Math.ceil(TICKETS / PER_BOOKING);
  const codes = [];
  let issuing = 0;
  await pool(bookings, BUYERS, async (i) => {
    const auth = await token(`bench|fan-${i}`);
    const booked = await http(port, 'POST', '/bookings', { auth, body: { eventId, seatIds: seatIds.slice(i * PER_BOOKING, (i + 1) * PER_BOOKING) } });
    if (booked.status !== 201) throw new Error(`booking: ${booked.status} ${JSON.stringify(booked.body)}`);
    const paid = await http(port, 'POST', `/bookings/${booked.body.id}/payments`, { auth, body: { paymentMethod: 'pm_card_visa' } });
    if (paid.status !== 202) throw new Error(`payment: ${paid.status} ${JSON.stringify(paid.body)}`);
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      const tickets = await http(port, 'GET', `/bookings/${booked.body.id}/tickets`, { auth, headers: { 'x-min-position': paid.body.position } });
      if (tickets.status === 200) {
        issuing += performance.now() - started;
        codes.push(...tickets.body.tickets.map((t) => ({ ticketId: t.ticketId, code: t.code })));
        return;
      }
      if (tickets.status !== 409 || attempt > 600) throw new Error(`tickets: ${tickets.status} ${JSON.stringify(tickets.body)}`);
      await new Promise((r) => setTimeout(r, 50)); // not confirmed yet: the provider's outcome is on its way
    }
  });
  return { codes, issueMsPerBooking: issuing / bookings };
};

/** The rush: every code once, TWICE of them again later through another gate, GATES at once. */
const rush = async (port, eventId, codes) => {
  const auth = await token('bench|door', ['checkin:write']);
  const scans = codes.map(({ code, ticketId }) => ({ code, ticketId }));
  const again = codes.filter((_, i) => i % Math.round(1 / TWICE) === 0);
  // Each second scan goes in at a random place after its first.
  for (const ticket of again) {
    const first = scans.findIndex((s) => s.ticketId === ticket.ticketId);
    scans.splice(first + 1 + Math.floor(Math.random() * (scans.length - first)), 0, { ...ticket, again: true });
  }
  const latencies = [];
  const admittedAnswers = new Map();
  const statuses = {};
  const started = performance.now();
  await pool(scans.length, GATES, async (i) => {
    const { code, ticketId } = scans[i];
    const t0 = performance.now();
    const answer = await http(port, 'POST', `/events/${eventId}/check-ins`, { auth, body: { code, gate: `gate-${i % GATES}` } });
    latencies.push(performance.now() - t0);
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    if (answer.status === 200) admittedAnswers.set(ticketId, (admittedAnswers.get(ticketId) ?? 0) + 1);
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    scans: scans.length,
    secondScans: again.length,
    scansPerSecond: scans.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    statuses,
    doubleAdmittedAnswers: [...admittedAnswers.values()].filter((n) => n > 1).length,
    notAdmitted: codes.length - admittedAnswers.size,
  };
};

/** CPU seconds used so far by the service, by this bench, and by the whole machine (Linux /proc; clock ticks of 1/100 s). */
const cpuSeconds = (pid) => {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const own = process.cpuUsage();
  return { service: (Number(stat[11]) + Number(stat[12])) / 100, bench: (own.user + own.system) / 1e6, machine: (user + nice + system + irq + softirq + steal) / 100 };
};

/** The database's own counters (pg_stat_database): how many transactions and rows a phase cost. */
const databaseCounters = async (url) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT xact_commit::int AS commits, tup_inserted::int AS inserted, tup_updated::int AS updated, tup_fetched::int AS fetched FROM pg_stat_database WHERE datname = current_database()`,
    );
    return rows[0];
  } finally {
    await client.end();
  }
};

/** From the log: tickets with more than one TicketAdmitted (an offline upload's earlier scan would be one, and this bench has none). */
const doubleAdmissionsInLog = async (url) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM (SELECT data->>'ticketId' FROM eventstore.events WHERE event_type = 'TicketAdmitted' GROUP BY 1 HAVING count(*) > 1) d`,
    );
    const [{ admitted }] = (await client.query(`SELECT count(*)::int AS admitted FROM eventstore.events WHERE event_type = 'TicketAdmitted'`)).rows;
    return { doubleAdmissions: rows[0].n, admittedInLog: admitted };
  } finally {
    await client.end();
  }
};

/** Offline verification on this one core: the public JWK, and nothing of the service. */
const verifyOffline = async (port, eventId, codes) => {
  const jwk = (await http(port, 'GET', `/events/${eventId}/ticket-key`)).body;
  const key = await importJWK(jwk, 'EdDSA');
  const sample = codes.slice(0, Math.min(codes.length, 10_000)).map((c) => c.code);
  let started = performance.now();
  for (const code of sample) await compactVerify(code, key, { algorithms: ['EdDSA'] });
  const jose = sample.length / ((performance.now() - started) / 1000);
  // The same check by hand: Ed25519 over "header.payload" (RFC 7515 §5.2), what a gate without a JOSE library does.
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  started = performance.now();
  for (const code of sample) {
    const dot = code.lastIndexOf('.');
    if (!verify(null, Buffer.from(code.slice(0, dot)), publicKey, Buffer.from(code.slice(dot + 1), 'base64url'))) throw new Error('a code failed verification');
  }
  const raw = sample.length / ((performance.now() - started) / 1000);
  return { codes: sample.length, jose, nodeCrypto: raw };
};

/**
 * The write side's choice, measured on the service's own classes: LAYOUT_ADMISSIONS admissions from
 * GATES gates at once, decided on a stream per ticket (the service's layout: a read of the new stream,
 * then its first append) or on one stream for the whole event (batched: one append for the scans that
 * wait together, the state of every ticket in memory).
 */
const streamLayouts = async (url) => {
  // The service's own pool size (event-store.module.ts), its schema already there.
  const store = new PostgresEventStore({ connectionString: url, max: 10 });
  const context = { correlationId: randomUUID(), causationId: null, userId: 'bench' };
  const eventId = randomUUID();
  const refs = Array.from({ length: LAYOUT_ADMISSIONS }, () => ({ ticketId: randomUUID(), eventId, bookingId: randomUUID(), seatId: randomUUID() }));
  const scanOf = (ref, i) => ({ type: 'ScanTicket', data: { ...ref, at: new Date().toISOString(), gate: `gate-${i % GATES}` } });
  const time = async (decide) => {
    const latencies = [];
    const started = performance.now();
    await pool(refs.length, GATES, async (i) => {
      const t0 = performance.now();
      await decide(refs[i], i);
      latencies.push(performance.now() - t0);
    });
    return { perSecond: refs.length / ((performance.now() - started) / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  };
  // A stream per ticket: each scan reads its ticket's stream and appends to it.
  const perTicket = new CommandBatcher(store, new StreamCache(store, ticketDecider, { capacity: 1_000 }), { decideBatch: decideInTurn(ticketDecider) });
  const ticketLayout = await time((ref, i) => perTicket.execute(`benchticket-${ref.ticketId}`, scanOf(ref, i), context));
  // One stream per event, the service's layout: every ticket's state in one map, the scans of a batch appended together.
  const perEvent = new CommandBatcher(store, new StreamCache(store, doorDecider), { decideBatch: decideDoorBatch });
  const eventLayout = await time((ref, i) => perEvent.execute(`benchdoor-${eventId}`, scanOf(ref, i), context));
  await store.close();
  return { admissions: refs.length, perTicket: ticketLayout, perEvent: eventLayout };
};

const results = [];
for (let run = 0; run < runs; run++) {
  const database = await benchDatabase('checkin');
  const port = 3300 + run;
  const server = await startServer(process.env.CHECKIN_SERVICE ?? 'dist/src/main.js', { DATABASE_URL: database.url }, port);
  try {
    const event = await seedEvent(port, TICKETS);
    const { eventId } = event;
    const started = performance.now();
    const { codes, issueMsPerBooking } = await sellOut(port, event);
    const sellOutSeconds = (performance.now() - started) / 1000;
    // pg_stat_database is updated when a backend reports (at most every 500 ms): wait that out on both sides.
    await new Promise((r) => setTimeout(r, 1_500));
    const before = await databaseCounters(database.url);
    const cpuBefore = cpuSeconds(server.pid);
    const door = await rush(port, eventId, codes);
    const cpuAfter = cpuSeconds(server.pid);
    const rushSeconds = door.scans / door.scansPerSecond;
    // Cores busy during the rush: the service (one event loop: 1.0 is its ceiling), the gates (this process), the whole machine (of 2; PostgreSQL is most of the rest).
    door.cores = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, (cpuAfter[k] - cpuBefore[k]) / rushSeconds]));
    await new Promise((r) => setTimeout(r, 1_500));
    const after = await databaseCounters(database.url);
    door.perScan = Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] - before[k]) / door.scans]));
    const log = await doubleAdmissionsInLog(database.url);
    const attendance = (await http(port, 'GET', `/events/${eventId}/attendance`, { auth: await token('bench|door', ['checkin:write']) })).body;
    const offline = await verifyOffline(port, eventId, codes);
    await stopServer(server);
    const layouts = await streamLayouts(database.url);
    results.push({ tickets: codes.length, sellOutSeconds, issueMsPerBooking, door, log, attendance, offline, layouts });
    process.stderr.write(`run ${run + 1}: ${Math.round(door.scansPerSecond)} scans/s, p99 ${door.p99.toFixed(1)} ms, double admissions ${log.doubleAdmissions}\n`);
  } finally {
    if (server.exitCode === null && server.signalCode === null) await stopServer(server);
    await database.drop();
  }
}

closeHttp();

const of = (pick) => results.map(pick);
console.log(
  JSON.stringify(
    {
      machine: machine(),
      runs,
      tickets: TICKETS,
      gates: GATES,
      scans: results[0].door.scans,
      secondScans: results[0].door.secondScans,
      scansPerSecond: summary(of((r) => r.door.scansPerSecond)),
      latencyMs: { p50: summary(of((r) => r.door.p50), 1), p99: summary(of((r) => r.door.p99), 1) },
      answers: results.map((r) => r.door.statuses),
      coresBusyDuringRush: results.map((r) => Object.fromEntries(Object.entries(r.door.cores).map(([k, v]) => [k, Number(v.toFixed(2))]))),
      databasePerScan: results.map((r) => Object.fromEntries(Object.entries(r.door.perScan).map(([k, v]) => [k, Number(v.toFixed(2))]))),
      doubleAdmissions: { answers: Math.max(...of((r) => r.door.doubleAdmittedAnswers)), log: Math.max(...of((r) => r.log.doubleAdmissions)) },
      ticketsNotAdmitted: Math.max(...of((r) => r.door.notAdmitted)),
      attendance: results.at(-1).attendance,
      sellOutSeconds: summary(of((r) => r.sellOutSeconds), 1),
      ticketsIssueMsPerBooking: summary(of((r) => r.issueMsPerBooking), 1),
      offlineVerificationPerSecond: { codes: results[0].offline.codes, jose: summary(of((r) => r.offline.jose)), nodeCrypto: summary(of((r) => r.offline.nodeCrypto)) },
      streamLayouts: {
        admissions: results[0].layouts.admissions,
        perTicket: { perSecond: summary(of((r) => r.layouts.perTicket.perSecond)), p50: summary(of((r) => r.layouts.perTicket.p50), 1), p99: summary(of((r) => r.layouts.perTicket.p99), 1) },
        perEvent: { perSecond: summary(of((r) => r.layouts.perEvent.perSecond)), p50: summary(of((r) => r.layouts.perEvent.p50), 1), p99: summary(of((r) => r.layouts.perEvent.p99), 1) },
        perEventVsPerTicket: (median(of((r) => r.layouts.perEvent.perSecond)) / median(of((r) => r.layouts.perTicket.perSecond))).toFixed(2),
      },
    },
    null,
    2,
  ),
);
