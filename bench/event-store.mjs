// Event-store throughput, side by side: our PostgreSQL adapter against the peer PostgreSQL event
// store from npm, @event-driven-io/emmett-postgresql 0.42.0, plus the physical limit of the server
// (plain INSERTs of comparable rows). Each store runs in a child process of its own (the peer
// installs process-wide pg type parsers when imported) against a fresh database of its own on the
// same server; the two alternate which goes first from one run to the next.
// Usage: npm run build && node bench/event-store.mjs [runs=3]
// A table goes to stderr, a JSON object to stdout. The peer's side is bench/event-store-peer.mjs.
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { benchDatabase, machine, median, summary } from './support.mjs';

/** Connections per store (and for the plain INSERTs): more than ~16 makes everything slower on 2 cores. */
export const POOL = 16;
export const WRITERS = 16;
export const BATCH = 1_000;

/** Sizes, scaled to finish 3 runs in a few minutes on 2 cores (EVENT_STORE_BENCH_SCALE=0.1 for a quick try). */
const SCALE = Number(process.env.EVENT_STORE_BENCH_SCALE ?? 1);
const scaled = (n) => Math.max(100, Math.round((n * SCALE) / 100) * 100);
export const COUNTS = {
  sequential: { events: scaled(3_000), streams: 1, writers: 1, perAppend: 1 },
  concurrent: { events: scaled(20_000), streams: 1_000, writers: WRITERS, perAppend: 1 },
  batched: { events: scaled(100_000), streams: 1_000, writers: WRITERS, perAppend: 100 },
  readStream: { events: 10_000, perAppend: 100, reads: 5 },
  readAll: { events: scaled(100_000), streams: 1_000, perAppend: 100, batch: BATCH },
  correctness: { events: scaled(20_000), streams: 1_000, writers: WRITERS, perAppend: 1, batch: BATCH },
};

// ---------------------------------------------------------------------------------------------
// Shared by both children: the payload and the scenarios, driven through a small adapter.

const SHOW = randomUUID();
const CORRELATION = randomUUID();
let serial = 0;

/** A BookingPlaced of one seat, as the booking decider emits it (≈ 250 bytes of JSON). */
export const bookingPlaced = () => {
  const i = serial++;
  return {
    type: 'BookingPlaced',
    data: {
      bookingId: randomUUID(),
      eventId: SHOW,
      userId: `user-${i % 5000}`,
      items: [{ seatId: randomUUID(), priceMinor: 6000 }],
      totalMinor: 6000,
      currency: 'USD',
      expiresAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      requestHash: createHash('sha256').update(String(i)).digest('hex').slice(0, 16),
    },
  };
};
export const payloadBytes = () => Buffer.byteLength(JSON.stringify(bookingPlaced().data));
/** What our adapter adds as metadata (our context plus occurredAt, schemaVersion, hash); the peer gets the context. */
export const context = { correlationId: CORRELATION, causationId: null, userId: 'bench' };
export const batchOf = (n) => Array.from({ length: n }, bookingPlaced);

const now = () => performance.now();
const log = (text) => process.stderr.write(`  ${text}\n`);

/**
 * `writers` concurrent writers append `events` events, `perAppend` to an append, to `streams`
 * streams. Each writer owns its streams (no conflicts) and appends with the expected revision.
 */
const write = async (store, { events, streams, writers, perAppend }) => {
  const owned = Array.from({ length: writers }, () => []);
  for (let s = 0; s < streams; s++) owned[s % writers].push(store.newStream());
  const appends = Math.ceil(events / perAppend);
  let handedOut = 0;
  const started = now();
  await Promise.all(owned.map(async (mine) => {
    for (let i = 0; handedOut < appends; i++) {
      handedOut++;
      await store.append(mine[i % mine.length], batchOf(perAppend));
    }
  }));
  return (now() - started) / 1000;
};

/** Waits until readers can see `count` events (an open transaction anywhere on the server holds them back). */
const waitVisible = async (store, count) => {
  const started = now();
  while ((await store.visible()) < count) {
    if (now() - started > 120_000) throw new Error(`Only ${await store.visible()} of ${count} events visible to readers after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return (now() - started) / 1000;
};

const rate = (events, seconds) => ({ events, seconds: Math.round(seconds * 1000) / 1000, perSecond: Math.round(events / seconds) });

/**
 * Runs every scenario against a store adapter:
 * { config, newStream(), append(stream, events), readStream(name) → events, reader(separateConnection)
 *   → { next(limit) → ids }, visible(), reset(), vacuum(), close() }.
 */
export const runScenarios = async (store) => {
  const results = {};
  const notes = [];

  // Warm the pool (connections, prepared statements), then start from empty tables.
  await write(store, { events: 320, streams: 32, writers: WRITERS, perAppend: 1 });
  await store.reset();

  for (const key of ['sequential', 'concurrent', 'batched']) {
    const seconds = await write(store, COUNTS[key]);
    results[key] = rate(COUNTS[key].events, seconds);
    log(`${key}: ${results[key].perSecond.toLocaleString('en-US')} events/s`);
    await store.reset();
  }

  // One stream of 10,000 events, read whole `reads` times after one untimed read.
  {
    const { events, perAppend, reads } = COUNTS.readStream;
    const stream = store.newStream();
    for (let n = 0; n < events; n += perAppend) await store.append(stream, batchOf(perAppend));
    await store.vacuum();
    if ((await store.readStream(stream.name)) !== events) throw new Error('readStream returned the wrong number of events');
    const started = now();
    for (let r = 0; r < reads; r++) if ((await store.readStream(stream.name)) !== events) throw new Error('readStream returned the wrong number of events');
    results.readStream = rate(events * reads, (now() - started) / 1000);
    log(`readStream: ${results.readStream.perSecond.toLocaleString('en-US')} events/s`);
    await store.reset();
  }

  // The whole log in global order, seeded by one writer (the peer's global read loses events under
  // concurrent appends), read in batches with no sleep between them.
  {
    const { events, streams, perAppend, batch } = COUNTS.readAll;
    await write(store, { events, streams, writers: 1, perAppend });
    await store.vacuum();
    const waited = await waitVisible(store, events);
    if (waited > 0.5) notes.push(`readAll: waited ${waited.toFixed(1)} s for an open transaction elsewhere on the server before timing`);
    const reader = store.reader(false);
    const seen = new Set();
    let delivered = 0;
    const started = now();
    for (;;) {
      const ids = await reader.next(batch);
      if (ids.length === 0) break;
      delivered += ids.length;
      for (const id of ids) seen.add(id);
    }
    const seconds = (now() - started) / 1000;
    await reader.close();
    if (delivered !== events || seen.size !== events) throw new Error(`readAll delivered ${delivered} events (${seen.size} distinct) of ${events}`);
    results.readAll = rate(events, seconds);
    log(`readAll: ${results.readAll.perSecond.toLocaleString('en-US')} events/s`);
    await store.reset();
  }

  // Correctness: a whole-log reader on a connection of its own, polling with no sleep while 16
  // writers append; once every append is visible to readers, it reads until an empty batch.
  {
    const { events, batch } = COUNTS.correctness;
    const reader = store.reader(true);
    const counts = new Map();
    let draining = false;
    let polls = 0;
    const reading = (async () => {
      for (;;) {
        const last = draining;
        const ids = await reader.next(batch);
        polls++;
        for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
        if (last && ids.length === 0) return;
      }
    })();
    const seconds = await write(store, COUNTS.correctness);
    const waited = await waitVisible(store, events);
    draining = true;
    await reading;
    await reader.close();
    const delivered = [...counts.values()].reduce((a, b) => a + b, 0);
    const written = await store.visible();
    results.correctness = {
      written,
      delivered,
      lost: written - counts.size,
      duplicated: delivered - counts.size,
      polls,
      appendEventsPerSecond: Math.round(events / seconds),
      secondsWaitingForVisibility: Math.round(waited * 10) / 10,
    };
    log(`correctness: ${written} written, ${results.correctness.lost} lost, ${results.correctness.duplicated} delivered twice`);
    await store.reset();
  }
  return { config: store.config, results, notes };
};

// ---------------------------------------------------------------------------------------------
// Child: our adapter.

const runOurs = async (url) => {
  const { PostgresEventStore } = await import('../dist/src/write/event-store/postgres.event-store.js');
  const events = new PostgresEventStore({ connectionString: url, max: POOL });
  await events.migrate();
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  const store = {
    config: `PostgresEventStore({ connectionString, max: ${POOL} }), migrate() before timing; appendToStream(stream, events, { expectedRevision: 'no_stream', then the returned nextRevision; context }); readStream(name); whole log: readAll({ after, limit: ${BATCH} }) in a loop, no sleep; the correctness reader on a store of its own (max: 1)`,
    newStream: () => ({ name: `booking-${randomUUID()}`, expected: 'no_stream' }),
    append: async (stream, batch) => {
      stream.expected = (await events.appendToStream(stream.name, batch, { expectedRevision: stream.expected, context })).nextRevision;
    },
    readStream: async (name) => (await events.readStream(name)).events.length,
    reader: (separate) => {
      const source = separate ? new PostgresEventStore({ connectionString: url, max: 1 }) : events;
      let after;
      return {
        next: async (limit) => {
          const batch = await source.readAll({ after, limit });
          if (batch.length > 0) after = batch[batch.length - 1].position;
          return batch.map((e) => e.metadata.eventId);
        },
        close: async () => { if (separate) await source.close(); },
      };
    },
    visible: async () => (await admin.query('SELECT count(*)::int AS n FROM eventstore.events WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())')).rows[0].n,
    reset: () => admin.query('TRUNCATE eventstore.events, eventstore.streams RESTART IDENTITY'),
    vacuum: () => admin.query('VACUUM ANALYZE eventstore.events, eventstore.streams'),
  };
  try {
    return await runScenarios(store);
  } finally {
    await events.close();
    await admin.end();
  }
};

// ---------------------------------------------------------------------------------------------
// Child: the physical limit, plain INSERTs of comparable rows into a plain table.

const runRaw = async (url) => {
  const pool = new pg.Pool({ connectionString: url, max: POOL });
  await pool.query(`CREATE TABLE plain_events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_name text NOT NULL, event_type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL)`);
  const row = () => {
    const e = bookingPlaced();
    const metadata = { ...context, occurredAt: new Date().toISOString(), schemaVersion: 1, hash: createHash('sha256').update(randomUUID()).digest('hex') };
    return [`booking-${randomUUID()}`, e.type, JSON.stringify(e.data), JSON.stringify(metadata)];
  };
  const manyRows = `INSERT INTO plain_events (stream_name, event_type, data, metadata) VALUES ${Array.from({ length: 100 }, (_, i) => `($${4 * i + 1}, $${4 * i + 2}, $${4 * i + 3}, $${4 * i + 4})`).join(', ')}`;
  const insert = async ({ events, perInsert }) => {
    const inserts = Math.ceil(events / perInsert);
    let handedOut = 0;
    const started = now();
    await Promise.all(Array.from({ length: WRITERS }, async () => {
      while (handedOut < inserts) {
        handedOut++;
        if (perInsert === 1) {
          await pool.query({ name: 'one', text: 'INSERT INTO plain_events (stream_name, event_type, data, metadata) VALUES ($1, $2, $3, $4)', values: row() });
        } else {
          await pool.query({ name: 'many', text: manyRows, values: Array.from({ length: perInsert }, row).flat() });
        }
      }
    }));
    return (now() - started) / 1000;
  };
  const results = {};
  try {
    await insert({ events: 320, perInsert: 1 });
    await pool.query('TRUNCATE plain_events');
    for (const [key, perInsert, events] of [['singleRow', 1, COUNTS.concurrent.events], ['batched', 100, COUNTS.batched.events]]) {
      results[key] = rate(events, await insert({ events, perInsert }));
      log(`plain INSERT ${key}: ${results[key].perSecond.toLocaleString('en-US')} rows/s`);
      await pool.query('TRUNCATE plain_events');
    }
  } finally {
    await pool.end();
  }
  return {
    config: `pg.Pool({ max: ${POOL} }), ${WRITERS} concurrent writers, autocommit; table (global_position identity PK, stream_name text, event_type text, data jsonb, metadata jsonb); single-row INSERT … VALUES ($1..$4), and one INSERT … VALUES of 100 rows (400 parameters)`,
    results,
    notes: [],
  };
};

// ---------------------------------------------------------------------------------------------
// Parent: runs the children, alternating their order, and reports.

const child = (script, args, label) =>
  new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 300_000);
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`${label} child failed (${signal ?? `exit ${code}`})`));
    });
  });

const SCENARIOS = [
  ['sequential', 'append, 1 event per append, 1 stream, 1 writer', 'events/s'],
  ['concurrent', `append, 1 event per append, ${COUNTS.concurrent.streams.toLocaleString('en-US')} streams, ${WRITERS} writers`, 'events/s'],
  ['batched', `append, 100 events per append, ${COUNTS.batched.streams.toLocaleString('en-US')} streams, ${WRITERS} writers`, 'events/s'],
  ['readStream', `read 1 stream of ${COUNTS.readStream.events.toLocaleString('en-US')} events`, 'events/s'],
  ['readAll', `read the whole log (${COUNTS.readAll.events.toLocaleString('en-US')} events, seeded by 1 writer), batches of ${BATCH.toLocaleString('en-US')}`, 'events/s'],
];

const countsOf = (key) => {
  const c = COUNTS[key];
  switch (key) {
    case 'readStream': return { eventsInStream: c.events, appendsOf: c.perAppend, timedReadsPerRun: c.reads };
    case 'readAll': return { events: c.events, seededBy: '1 writer', appendsOf: c.perAppend, streams: c.streams, batch: c.batch };
    default: return { events: c.events, streams: c.streams, writers: c.writers, eventsPerAppend: c.perAppend };
  }
};

const main = async () => {
  const runs = Number(process.argv[2] ?? 3);
  const here = fileURLToPath(import.meta.url);
  const peerScript = fileURLToPath(new URL('./event-store-peer.mjs', import.meta.url));
  const live = new Set();
  const dropAll = async () => { for (const database of live) await database.drop().catch(() => undefined); live.clear(); };
  process.on('SIGINT', () => { dropAll().finally(() => process.exit(130)); });

  const started = now();
  const collected = { ours: [], peer: [], raw: [] };
  const configs = {};
  const notes = [];
  const take = async (side, run) => {
    process.stderr.write(`run ${run}: ${side}\n`);
    const database = await benchDatabase(`es_${side}`);
    live.add(database);
    try {
      const result = await (side === 'peer' ? child(peerScript, [database.url], side) : child(here, ['--child', side, database.url], side));
      collected[side].push(result.results);
      configs[side] = result.config;
      for (const note of result.notes) notes.push(`run ${run}, ${side}: ${note}`);
    } finally {
      await database.drop();
      live.delete(database);
    }
  };
  try {
    for (let run = 1; run <= runs; run++) {
      for (const side of run % 2 === 1 ? ['ours', 'peer', 'raw'] : ['peer', 'ours', 'raw']) await take(side, run);
    }
  } finally {
    await dropAll();
  }
  const elapsed = (now() - started) / 1000;

  const values = (side, key, field = 'perSecond') => collected[side].map((r) => r[key][field]);
  const scenarios = {};
  const table = [['scenario', 'ours', 'peer', 'ours/peer']];
  for (const [key, label, unit] of SCENARIOS) {
    const ours = values('ours', key);
    const peer = values('peer', key);
    const ratio = Math.round((median(ours) / median(peer)) * 100) / 100;
    scenarios[key] = { label, unit, counts: countsOf(key), ours: summary(ours), peer: summary(peer), ratio, values: { ours, peer } };
    table.push([`${label} (${unit})`, summary(ours), summary(peer), `${ratio.toFixed(2)}×`]);
  }
  const limit = {};
  const limitTable = [['physical limit (plain INSERTs of the same rows)', 'rows/s', 'ours of it', 'peer of it']];
  for (const [key, against, label] of [['singleRow', 'concurrent', `plain INSERT, 1 row per statement, ${WRITERS} writers, autocommit`], ['batched', 'batched', `plain INSERT, 100 rows per statement, ${WRITERS} writers`]]) {
    const raw = values('raw', key);
    limit[key] = {
      label,
      unit: 'rows/s',
      counts: { rows: COUNTS[against].events, writers: WRITERS, rowsPerInsert: key === 'batched' ? 100 : 1 },
      raw: summary(raw),
      values: raw,
      oursShareOfLimit: Math.round((median(values('ours', against)) / median(raw)) * 100) / 100,
      peerShareOfLimit: Math.round((median(values('peer', against)) / median(raw)) * 100) / 100,
    };
    limitTable.push([`${label} (rows/s)`, summary(raw), `${Math.round(limit[key].oursShareOfLimit * 100)} %`, `${Math.round(limit[key].peerShareOfLimit * 100)} %`]);
  }
  const correctnessOf = (side) => {
    const c = collected[side].map((r) => r.correctness);
    return {
      written: c.map((x) => x.written),
      lost: c.map((x) => x.lost),
      duplicated: c.map((x) => x.duplicated),
      lostTotal: c.reduce((a, x) => a + x.lost, 0),
      duplicatedTotal: c.reduce((a, x) => a + x.duplicated, 0),
      readerPolls: c.map((x) => x.polls),
    };
  };
  const correctness = {
    label: `whole-log reader (batches of ${BATCH}, no sleep) while ${WRITERS} writers append ${COUNTS.correctness.events.toLocaleString('en-US')} single events to ${COUNTS.correctness.streams.toLocaleString('en-US')} streams`,
    counts: { events: COUNTS.correctness.events, streams: COUNTS.correctness.streams, writers: WRITERS, eventsPerAppend: 1, batch: BATCH },
    ours: correctnessOf('ours'),
    peer: correctnessOf('peer'),
  };
  const cell = (c) => `lost ${c.lost.join('/')}, twice ${c.duplicated.join('/')}`;
  table.push([`correctness, per run: reader during ${WRITERS} writers × ${COUNTS.correctness.events.toLocaleString('en-US')} events`, cell(correctness.ours), cell(correctness.peer), '']);

  const print = (rows) => {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    process.stderr.write('\n');
    for (const [i, r] of rows.entries()) {
      process.stderr.write(`${r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join(' | ')}\n`);
      if (i === 0) process.stderr.write(`${widths.map((w) => '-'.repeat(w)).join('-|-')}\n`);
    }
  };
  print(table);
  print(limitTable);
  process.stderr.write(`\nmedian (min–max) of ${runs} runs; ours and the peer alternate which goes first; ${elapsed.toFixed(0)} s in all\n`);
  for (const side of ['ours', 'peer', 'raw']) process.stderr.write(`${side}: ${configs[side]}\n`);
  for (const note of notes) process.stderr.write(`note: ${note}\n`);

  console.log(JSON.stringify({
    date: new Date().toISOString(),
    machine: machine(),
    runs,
    seconds: Math.round(elapsed),
    payload: { event: 'BookingPlaced (1 seat)', dataBytes: payloadBytes() },
    configuration: { pool: POOL, ours: configs.ours, peer: `@event-driven-io/emmett-postgresql 0.42.0: ${configs.peer}`, physicalLimit: configs.raw },
    scenarios,
    physicalLimit: limit,
    correctness,
    notes,
  }, null, 2));
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--child') {
    const result = await (process.argv[3] === 'raw' ? runRaw(process.argv[4]) : runOurs(process.argv[4]));
    console.log(JSON.stringify(result));
  } else {
    await main();
  }
}
