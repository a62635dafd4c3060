import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase } from '../../../test/support/database.js';
import { toEnvelopes } from './envelope.js';
import { type MessageContext, type Position, type Recorded } from './event-store.port.js';
import { logPageSql, PostgresEventStore } from './postgres.event-store.js';

/**
 * What only the PostgreSQL adapter has to prove: its global order has no gap a reader could skip,
 * even when transactions commit in another order than they took their positions.
 */
describe('PostgreSQL event store: global order under late commits', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: PostgresEventStore;
  const context: MessageContext = { correlationId: randomUUID(), causationId: null, userId: null };

  beforeAll(async () => {
    database = await createTestDatabase('pg_store');
    store = new PostgresEventStore({ connectionString: database.url, max: 20 });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  it('does not hand a reader an event that an earlier, still open transaction would sort after', async () => {
    const start = await store.appendToStream(`marker-${randomUUID()}`, [{ type: 'Marker', data: {} }], { expectedRevision: 'any', context });
    const slow = new Client({ connectionString: database.url });
    await slow.connect();
    try {
      // T1 appends and stays open; T2 appends after it and commits first.
      await slow.query('BEGIN');
      const slowStream = `late-${randomUUID()}`;
      await slow.query('SELECT * FROM eventstore.append_to_stream($1, $2, $3)', [
        slowStream,
        'no_stream',
        JSON.stringify(toEnvelopes(slowStream, [{ type: 'Slow', data: {} }], context)),
      ]);
      const fastStream = `late-${randomUUID()}`;
      await store.appendToStream(fastStream, [{ type: 'Fast', data: {} }], { expectedRevision: 'no_stream', context });

      const firstPoll = await store.readAll({ after: start.position, limit: 100 });
      expect(firstPoll.map((e) => e.type)).toEqual([]); // T2 is committed but would sort after T1: not yet

      await slow.query('COMMIT');
      const cursor = firstPoll.at(-1)?.position ?? start.position;
      // Any other open transaction on the server may delay them a moment more: poll until both came.
      let secondPoll = await store.readAll({ after: cursor, limit: 100 });
      for (const deadline = Date.now() + 30_000; secondPoll.length < 2 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        secondPoll = await store.readAll({ after: cursor, limit: 100 });
      }
      expect(secondPoll.map((e) => e.type)).toEqual(['Slow', 'Fast']);
    } finally {
      await slow.end();
    }
  });

  it('loses and repeats nothing for a whole-log reader while 16 writers append concurrently', async () => {
    const start = await store.appendToStream(`marker-${randomUUID()}`, [{ type: 'Marker', data: {} }], { expectedRevision: 'any', context });
    const writers = 16;
    const appendsPerWriter = 150;
    const eventsPerAppend = 2;
    const total = writers * appendsPerWriter * eventsPerAppend;
    const reader = (async () => {
      const seen: Recorded[] = [];
      let cursor: Position = start.position;
      // Reads until it has as many events as were written (or 60 s pass): any loss shows as a
      // missing id, any repetition as a duplicate, whatever the timing.
      const deadline = Date.now() + 60_000;
      while (seen.length < total && Date.now() < deadline) {
        const page = await store.readAll({ after: cursor, limit: 500 });
        seen.push(...page);
        if (page.length > 0) cursor = page[page.length - 1].position;
        else await new Promise((resolve) => setTimeout(resolve, 1));
      }
      return seen;
    })();
    const written = await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const stream = `writer-${w}-${randomUUID()}`;
        for (let i = 0; i < appendsPerWriter; i++) {
          await store.appendToStream(stream, Array.from({ length: eventsPerAppend }, () => ({ type: 'Written', data: { w, i } })), {
            expectedRevision: 'any',
            context,
          });
        }
        return (await store.readStream(stream)).events.map((e) => e.metadata.eventId);
      }),
    );
    const seen = await reader;
    const seenIds = new Set(seen.map((e) => e.metadata.eventId));
    const lost = written.flat().filter((id) => !seenIds.has(id)).length;
    const repeated = seen.length - seenIds.size;
    expect({ lost, repeated }).toEqual({ lost: 0, repeated: 0 });
    expect(seen).toHaveLength(total);
  });

  it('keeps each stream in revision order in the global log while writers race on one stream', async () => {
    const start = await store.appendToStream(`marker-${randomUUID()}`, [{ type: 'Marker', data: {} }], { expectedRevision: 'any', context });
    const stream = `hot-${randomUUID()}`;
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; i < 60; i++) {
          await store.appendToStream(stream, [{ type: 'Written', data: { w, i } }], { expectedRevision: 'any', context });
        }
      }),
    );
    const revisions: bigint[] = [];
    let cursor: Position = start.position;
    const deadline = Date.now() + 30_000;
    while (revisions.length < 16 * 60 && Date.now() < deadline) {
      const page = await store.readAll({ after: cursor, limit: 1000 });
      revisions.push(...page.filter((e) => e.streamName === stream).map((e) => e.revision));
      if (page.length > 0) cursor = page[page.length - 1].position;
    }
    const outOfOrder = revisions.filter((revision, i) => revision !== BigInt(i)).length;
    expect({ read: revisions.length, outOfOrder }).toEqual({ read: 16 * 60, outOfOrder: 0 });
  });

  it('tells other processes of a burst of appends with a few NOTIFYs, the last one after the last commit', async () => {
    const listener = new Client({ connectionString: database.url });
    await listener.connect();
    const heard: number[] = [];
    listener.on('notification', () => heard.push(performance.now()));
    await listener.query('LISTEN eventix_eventstore');
    try {
      const appends = 100;
      await Promise.all(Array.from({ length: appends }, () => store.appendToStream(`burst-${randomUUID()}`, [{ type: 'Written', data: {} }], { expectedRevision: 'no_stream', context })));
      const lastCommit = performance.now();
      // A subscriber elsewhere that heard nothing after the last commit would wait for its fallback poll.
      for (const deadline = Date.now() + 5_000; !heard.some((at) => at > lastCommit) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
      expect(heard.some((at) => at > lastCommit)).toBe(true);
      expect(heard.length).toBeLessThan(appends); // one NOTIFY covers the appends of a few milliseconds
    } finally {
      await listener.end();
    }
  });
});

/**
 * A page of the log must be an ordered walk of the events_global_order index that stops after the page,
 * whatever the planner knows: a log imported in bulk and not yet analysed is exactly what an operator
 * replays. (A bitmap scan and a sort of the whole table per page made a replay of 1,000,000 events quadratic.)
 */
describe('PostgreSQL event store: reading a page of a large log', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Client;

  beforeAll(async () => {
    database = await createTestDatabase('pg_store_plan');
    const store = new PostgresEventStore({ connectionString: database.url, max: 1 });
    await store.migrate();
    await store.close();
    client = new Client({ connectionString: database.url });
    await client.connect();
    await client.query('ALTER TABLE eventstore.events SET (autovacuum_enabled = false)'); // no statistics, as right after an import
    await client.query(`INSERT INTO eventstore.events (stream_name, stream_revision, event_id, event_type, data, metadata)
      SELECT 'bulk-' || n, 0, gen_random_uuid(), CASE WHEN n % 3 = 0 THEN 'BookingPlaced' ELSE 'PaymentSucceeded' END,
             jsonb_build_object('n', n), jsonb_build_object('hash', md5(n::text), 'occurredAt', '2026-01-01T00:00:00.000Z')
        FROM generate_series(1, 100000) AS n`);
  });
  afterAll(async () => {
    await client.end();
    await database.drop();
  });

  const plan = async (sql: string, values: unknown[], mode: 'force_custom_plan' | 'force_generic_plan') => {
    await client.query(`SET plan_cache_mode = ${mode}`);
    await client.query('DEALLOCATE ALL');
    await client.query(`PREPARE page AS ${sql}`);
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE page(${values.map((v) => `'${v}'`).join(', ')})`);
    const nodes: string[] = [];
    const walk = (node: { 'Node Type': string; 'Index Name'?: string; Plans?: unknown[] }) => {
      nodes.push(node['Index Name'] ? `${node['Node Type']} using ${node['Index Name']}` : node['Node Type']);
      for (const child of node.Plans ?? []) walk(child as typeof node);
    };
    walk(rows[0]['QUERY PLAN'][0].Plan);
    return nodes;
  };

  it.each(['force_custom_plan', 'force_generic_plan'] as const)('walks the global order index, with or without a filter on types (%s)', async (mode) => {
    const walk = ['Limit', 'Index Scan using events_global_order'];
    expect(await plan(logPageSql('*'), [0, 0, 2000], mode)).toEqual(walk);
    expect(await plan(logPageSql('*', { ofTypes: true }), [0, 0, 2000, '{BookingPlaced,PaymentSucceeded}'], mode)).toEqual(walk);
    expect(await plan(logPageSql('*', { withForeign: true }), [0, 0, 2000], mode)).toEqual(walk);
  });
});
