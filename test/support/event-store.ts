import { EventStoreDBClient, binaryEvent, jsonEvent } from '@eventstore/db-client';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { validateEnvironment } from '../../src/config.js';
import { openEventStore } from '../../src/write/event-store/event-store.module.js';
import type { EventStore } from '../../src/write/event-store/event-store.port.js';

/**
 * The event store the suite runs on. PostgreSQL (the store in each test's own database) unless
 * `npm test` was given an EventStoreDB: TEST_EVENTSTORE_URL (or EVENTSTORE_URL, which global setup
 * copies into it). A server that global setup started in a container serves only the contract
 * suite's EventStoreDB leg (TEST_EVENTSTORE_CONTRACT_ONLY): the rest stays on PostgreSQL there.
 */
const suiteEventStoreUrl = (): string | undefined =>
  process.env.TEST_EVENTSTORE_CONTRACT_ONLY ? undefined : process.env.TEST_EVENTSTORE_URL || undefined;

export const onEventStoreDb = (): boolean => suiteEventStoreUrl() !== undefined;

/**
 * Every test shares one EventStoreDB server, so each test database's services write and read only
 * streams of their own prefix: the database's name (its random end makes it unique), without the
 * common `eventix_test_`, cut from the front to the prefix's 40 characters. `log` names another log
 * in the same database's space, for a test that needs an empty log per case (on PostgreSQL a
 * database holds one log: such a test empties it instead).
 */
const streamPrefixOf = (databaseUrl: string, log = ''): string => {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1)).replace(/^eventix_test_/, '');
  return [name, log].filter(Boolean).join('_').toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(-40);
};

/**
 * What a service, a CLI run or an adapter working on the test database at `databaseUrl` is given
 * to find its events. Used by every place that starts one (test/support/app.ts, process.ts, the
 * CLI's tests), so that one variable moves the whole suite to EventStoreDB.
 */
export const eventStoreEnv = (databaseUrl: string, log = ''): { EVENTSTORE_URL: string; EVENTSTORE_STREAM_PREFIX?: string } => {
  const url = suiteEventStoreUrl();
  // '' and not absent: the jest process may carry an EVENTSTORE_URL of the developer's shell.
  return url ? { EVENTSTORE_URL: url, EVENTSTORE_STREAM_PREFIX: streamPrefixOf(databaseUrl, log) } : { EVENTSTORE_URL: '' };
};

/** The store the service on `databaseUrl` opens, for a test to seed or read (close it afterwards). */
export const openTestEventStore = (databaseUrl: string, log = ''): Promise<EventStore> => {
  // The levels test/support/app.ts gives the service: which store it opened is not news in a test's output.
  Logger.overrideLogger(['error', 'warn']);
  // Through the service's own configuration, so that the adapter gets every setting the service would.
  return openEventStore(validateEnvironment({ DATABASE_URL: databaseUrl, ...eventStoreEnv(databaseUrl, log) }));
};

/**
 * A test about the PostgreSQL store itself (its rows, its tables), or one that cannot be pointed at
 * EventStoreDB: a test on PostgreSQL; on EventStoreDB skipped, and the reason printed (as the
 * contract suite does), so that a green run never hides a test that did not run.
 */
export const itOnPostgresStore = (name: string, reason: string, test: jest.ProvidesCallback, timeout?: number): void => {
  if (!onEventStoreDb()) return it(name, test, timeout);
  console.info(`EventStoreDB leg SKIPPED: "${name}": ${reason}`);
  it.skip(`${name} (skipped on EventStoreDB: ${reason})`, test);
};

/** The same for a whole describe block. */
export const describeOnPostgresStore = (name: string, reason: string, tests: () => void): void => {
  if (!onEventStoreDb()) return describe(name, tests);
  console.info(`EventStoreDB leg SKIPPED: "${name}": ${reason}`);
  describe.skip(`${name} (skipped on EventStoreDB: ${reason})`, tests);
};

/**
 * Writes to `stream` of the test database's log what another application on a shared store would:
 * an event without metadata, a binary one, and one with metadata of its own. On PostgreSQL, rows put
 * into the store's table by hand; on EventStoreDB, appended through the client, within the test's prefix.
 */
export const writeForeignEvents = async (databaseUrl: string, stream: string): Promise<void> => {
  const { EVENTSTORE_URL: url, EVENTSTORE_STREAM_PREFIX: prefix } = eventStoreEnv(databaseUrl);
  return url ? appendForeignEvents(url, `${prefix}.${stream}`) : insertForeignRows(databaseUrl, stream);
};

/** The foreign events of writeForeignEvents, appended to an EventStoreDB as another application would. */
export const appendForeignEvents = async (eventStoreUrl: string, stream: string): Promise<void> => {
  const client = EventStoreDBClient.connectionString(eventStoreUrl);
  try {
    await client.appendToStream(stream, [
      jsonEvent({ type: 'OrderShipped', data: { orderId: 7 } }),
      binaryEvent({ type: 'Blob', data: Uint8Array.from([0, 1, 2, 3, 4]) }),
      jsonEvent({ type: 'OrderPaid', data: { orderId: 7 }, metadata: { $correlationId: 'erp-1', source: 'erp', hash: 42 } }),
    ]);
  } finally {
    await client.dispose();
  }
};

/**
 * The same events as rows of the PostgreSQL store's table, at the stream's next revisions (the stream
 * may be one of Eventix's): nothing but the service writes there, so a row put in by hand stands for
 * another writer. The stream's head moves past them, as an append by anyone would move it; its chain
 * link (last_hash) stays Eventix's.
 */
export const insertForeignRows = async (databaseUrl: string, stream: string): Promise<void> => {
  const sql = new Client({ connectionString: databaseUrl });
  await sql.connect();
  try {
    await sql.query(
      `WITH head AS (SELECT coalesce(max(stream_revision) + 1, 0) AS next FROM eventstore.events WHERE stream_name = $1),
       rows AS (
         INSERT INTO eventstore.events (stream_name, stream_revision, event_id, event_type, data, metadata)
         SELECT $1, head.next + foreign_event.n, gen_random_uuid(), foreign_event.type, foreign_event.data, foreign_event.metadata
           FROM head, (VALUES
             (0, 'OrderShipped', '{"orderId": 7}'::jsonb, '{}'::jsonb),
             (1, 'Blob', '"AAECAwQ="', 'null'),
             (2, 'OrderPaid', '{"orderId": 7}', '{"$correlationId": "erp-1", "source": "erp", "hash": 42}')
           ) AS foreign_event (n, type, data, metadata)
         RETURNING stream_revision)
       INSERT INTO eventstore.streams AS s (stream_name, revision, last_hash) SELECT $1, max(stream_revision), '' FROM rows
         ON CONFLICT (stream_name) DO UPDATE SET revision = excluded.revision`,
      [stream],
    );
  } finally {
    await sql.end();
  }
};
