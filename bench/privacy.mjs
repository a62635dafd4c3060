// What encrypting user ids (#22, docs/privacy.md) costs, side by side in one run:
// - the append path: 16 writers append 20,000 BookingPlaced events, one to an append, to streams of their own, through
//   our PostgreSQL event store, the buyer's id in data.userId and metadata.userId — plain, as before #22, or encrypted
//   through the service's UserKeys as the controllers do (5,000 buyers new to each run, so their keys are made
//   during it, as in an on-sale), or encrypted for 5,000 buyers whose keys were made and ids cached before the run (a
//   buyer's next commands: what encrypting alone costs), or plain but padded to an encrypted id's length (what the
//   bytes alone cost); the four take turns, `runs` times each;
// - a replay: bench/replay.mjs seeds a log of `events` events and times `eventix replay` over it, the buyers' ids
//   plain or encrypted (the replay then opens every one); the two alternate, `pairs` times each.
// Usage: npm run build && node bench/privacy.mjs [events=1000000] [runs=5] [pairs=3]
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { migrations } from '../dist/migrations/all.js';
import { validateEnvironment } from '../dist/src/config.js';
import { PostgresEventStore } from '../dist/src/write/event-store/postgres.event-store.js';
import { UserKeys } from '../dist/src/write/privacy/user-keys.js';
import { bookingPlaced, COUNTS, POOL, WRITERS } from './event-store.mjs';
import { benchDatabase, machine, median, summary } from './support.mjs';

const events = process.argv[2] ?? '1000000';
const runs = Number(process.argv[3] ?? 5);
const pairs = Number(process.argv[4] ?? 3);
const log = (text) => process.stderr.write(`  ${text}\n`);
const ratio = (a, b) => Math.round((a / b) * 100) / 100;

// ---- The append path.
const database = await benchDatabase('privacy');
const db = new DataSource({ type: 'postgres', url: database.url, migrations, logging: false });
await db.initialize();
await db.runMigrations();
const keys = new UserKeys(db, validateEnvironment({ DATABASE_URL: database.url }));
const store = new PostgresEventStore({ connectionString: database.url, max: POOL });
await store.migrate();

const { events: appended } = COUNTS.concurrent;
// The third way: plain ids padded to an encrypted id's length, to tell what the bytes cost from what encrypting costs.
const encryptedLength = (await keys.encryptedId('run0-buyer-0')).length;
const MODES = ['plain', 'padded', 'encrypted', 'known'];
const idOf = async (mode, buyer) => (mode === 'encrypted' || mode === 'known' ? keys.encryptedId(buyer) : mode === 'padded' ? buyer.padEnd(encryptedLength, '.') : buyer);
const append = async (run, mode) => {
  const streams = Array.from({ length: WRITERS }, () => Array.from({ length: 64 }, () => ({ name: `booking-${randomUUID()}`, revision: 'no_stream' })));
  let handedOut = 0;
  const buyer = (n) => `run${run}-${mode}-buyer-${n % 5000}`;
  if (mode === 'known') await Promise.all(Array.from({ length: 5000 }, (_, n) => keys.encryptedId(buyer(n)))); // before the clock starts
  const started = performance.now();
  await Promise.all(streams.map(async (mine) => {
    for (let i = 0; handedOut < appended; i++) {
      const n = handedOut++;
      const userId = await idOf(mode, buyer(n));
      const event = bookingPlaced();
      event.data.userId = userId;
      const stream = mine[i % mine.length];
      const { nextRevision } = await store.appendToStream(stream.name, [event], { expectedRevision: stream.revision, context: { correlationId: randomUUID(), causationId: `http:${randomUUID()}`, userId } });
      stream.revision = nextRevision;
    }
  }));
  return appended / ((performance.now() - started) / 1000);
};
for (const mode of MODES) await append(0, mode); // warm the pool and the prepared statements
const rates = { plain: [], padded: [], encrypted: [], known: [] };
for (let run = 1; run <= runs; run++) {
  // Each mode goes first, second, third and last in turn.
  for (const mode of MODES.map((_, i) => MODES[(i + run) % MODES.length])) {
    const rate = await append(run, mode);
    rates[mode].push(rate);
    log(`append run ${run}, ${mode.padEnd(9)}: ${Math.round(rate).toLocaleString('en-US')} events/s`);
  }
}
await store.close();
await keys.close();
await db.destroy();
await database.drop();

// ---- A replay of `events` events.
const replays = { plain: [], encrypted: [] };
const logChecks = {};
for (let pair = 1; pair <= pairs; pair++) {
  for (const ids of pair % 2 ? ['plain', 'encrypted'] : ['encrypted', 'plain']) {
    // The first pair also times `verify --log`, `seal` and `verify --log --seal` over each log, once.
    const checks = pair === 1 ? { REPLAY_VERIFY_LOG: '1', REPLAY_SEAL: '1' } : {};
    const stdout = execFileSync(process.execPath, ['bench/replay.mjs', events, '1'], { env: { ...process.env, REPLAY_USER_IDS: ids, ...checks }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 });
    const { seconds: timed, verifyLog, seal, verifyLogWithSeal } = JSON.parse(stdout);
    const seconds = Number(timed.split(' ')[0]);
    if (seal) logChecks[ids] = { verifyLog, seal, verifyLogWithSeal };
    replays[ids].push(seconds);
    log(`replay pair ${pair}, ${ids}: ${seconds} s`);
  }
}

const result = {
  machine: machine(),
  append: {
    events: appended, writers: WRITERS, runs, idCharacters: encryptedLength,
    plain: summary(rates.plain), padded: summary(rates.padded), encrypted: summary(rates.encrypted), known: summary(rates.known),
    ratio: ratio(median(rates.encrypted), median(rates.plain)), paddedRatio: ratio(median(rates.padded), median(rates.plain)),
    knownRatio: ratio(median(rates.known), median(rates.plain)),
  },
  replay: { events: Number(events), pairs, plain: summary(replays.plain, 1), encrypted: summary(replays.encrypted, 1), ratio: ratio(median(replays.encrypted), median(replays.plain)) },
  logChecks,
};
console.log(JSON.stringify(result, null, 2));
