// The peer's side of bench/event-store.mjs: @event-driven-io/emmett-postgresql 0.42.0, run in a
// process of its own because importing it installs process-wide pg type parsers (int8 → BigInt,
// raw JSON). Configured at its best, not its defaults: a pool of the same size as ours (its
// default is pg's 10), the schema migrated before timing, and whole-log reads in batches of 1,000
// with no sleep (its consumer defaults to 100 and a 50 ms sleep after every batch).
// Usage (by bench/event-store.mjs): node bench/event-store-peer.mjs <database url>
import { randomUUID } from 'node:crypto';
import { dumbo } from '@event-driven-io/dumbo';
import { getPostgreSQLEventStore, readMessagesBatch } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import { BATCH, context, POOL, runScenarios } from './event-store.mjs';

const url = process.argv[2];
const pool = new pg.Pool({ connectionString: url, max: POOL });
const events = getPostgreSQLEventStore(url, { connectionOptions: { pool } });
await events.schema.migrate();
const execute = dumbo({ connectionString: url, pool }).execute;

const store = {
  config: `getPostgreSQLEventStore(url, { connectionOptions: { pool: new pg.Pool({ max: ${POOL} }) } }), schema.migrate() before timing; appendToStream(stream, events with metadata { correlationId, causationId, userId }, { expectedStreamVersion: 0n, then the returned nextExpectedStreamVersion }); readStream(name); whole log: readMessagesBatch(dumbo({ pool }).execute, { after, batchSize: ${BATCH} }) in a loop, no sleep; the correctness reader on a pool of its own (max: 1)`,
  newStream: () => ({ name: `booking-${randomUUID()}`, expected: 0n }),
  append: async (stream, batch) => {
    const result = await events.appendToStream(stream.name, batch.map((e) => ({ ...e, metadata: { ...context } })), { expectedStreamVersion: stream.expected });
    stream.expected = result.nextExpectedStreamVersion;
  },
  readStream: async (name) => (await events.readStream(name)).events.length,
  reader: (separate) => {
    const own = separate ? new pg.Pool({ connectionString: url, max: 1 }) : undefined;
    const source = own ? dumbo({ connectionString: url, pool: own }).execute : execute;
    let after = -1n;
    return {
      next: async (batchSize) => {
        const { messages, currentGlobalPosition } = await readMessagesBatch(source, { after, batchSize });
        if (messages.length > 0) after = currentGlobalPosition;
        return messages.map((m) => m.metadata.messageId);
      },
      close: async () => { await own?.end(); },
    };
  },
  visible: async () => (await pool.query('SELECT count(*)::int AS n FROM emt_messages WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())')).rows[0].n,
  reset: () => events.schema.dangerous.truncate({ resetSequences: true }),
  vacuum: () => pool.query('VACUUM ANALYZE emt_messages, emt_streams'),
};

try {
  console.log(JSON.stringify(await runScenarios(store)));
} finally {
  await events.close().catch(() => undefined);
  await pool.end();
}
