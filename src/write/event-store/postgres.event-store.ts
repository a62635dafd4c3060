import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { Client, Pool, type PoolConfig, type QueryResultRow } from 'pg';
import { inTransaction } from '../../database.js';
import { type Envelope, isEventix, toEnvelopes } from './envelope.js';
import { ADVISORY_LOCKS } from '../../advisory-locks.js';
import {
  type AppendResult,
  type Event,
  type EventStore,
  type ExpectedRevision,
  type Foreign,
  type MessageContext,
  parsePosition,
  type Position,
  type Projected,
  type ReadAllOptions,
  type Recorded,
  type StreamRead,
  toPosition,
  WrongExpectedRevisionError,
} from './event-store.port.js';

/**
 * The PostgreSQL event store, in schema `eventstore` of the service's database.
 *
 * Global order without gaps for readers (see STYLE.md §3): every row records the id of the
 * transaction that wrote it, and readers only see rows whose transaction is older than the oldest
 * one still running (`pg_snapshot_xmin`). Such rows can no longer be joined by anything that
 * sorts before them, so a reader never moves past a row that commits later. The position is the
 * pair (transaction_id, global_position), the sort key itself, served by one index.
 *
 * An append is one call of `eventstore.append_to_stream`: one round trip, one transaction. Writers
 * of a stream queue on an advisory lock before their transaction takes its id, so a stream's
 * revisions follow its transactions' order (the test "keeps each stream in revision order" shows
 * what a row lock alone gets wrong).
 */
const SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS eventstore;

CREATE TABLE IF NOT EXISTS eventstore.streams (
  stream_name text PRIMARY KEY,
  revision    bigint NOT NULL,
  last_hash   text NOT NULL
);

CREATE TABLE IF NOT EXISTS eventstore.events (
  global_position bigint GENERATED ALWAYS AS IDENTITY,
  transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_name     text NOT NULL,
  stream_revision bigint NOT NULL,
  event_id        uuid NOT NULL UNIQUE,
  event_type      text NOT NULL,
  data            jsonb NOT NULL,
  metadata        jsonb NOT NULL,
  PRIMARY KEY (stream_name, stream_revision)
);

CREATE UNIQUE INDEX IF NOT EXISTS events_global_order ON eventstore.events (transaction_id, global_position);

-- p_expected: 'any' | 'no_stream' | 'stream_exists' | a revision. p_events: [{eventId, type, data, metadata, digest}].
-- The hash chain mirrors log-hash.ts: hash = sha256_hex(previous hash || digest).
CREATE OR REPLACE FUNCTION eventstore.append_to_stream(p_stream text, p_expected text, p_events jsonb)
RETURNS TABLE (next_revision bigint, transaction_id text, global_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_revision bigint;
  v_expected_holds boolean;
  v_hash text;
  v_hashes text[] := '{}';
  v_count int := jsonb_array_length(p_events);
BEGIN
  -- Writers of one stream queue here, before their transaction has an id: an advisory lock needs
  -- none. The id comes with the first write below, so a stream's later revisions always get later
  -- transaction ids, and the global order (transaction_id, global_position) keeps each stream's order.
  -- (A row lock would not: FOR UPDATE takes the id before it waits, so waiters' ids race.)
  PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 0));
  SELECT s.revision, s.last_hash INTO v_revision, v_hash FROM eventstore.streams s WHERE s.stream_name = p_stream;
  IF NOT FOUND THEN
    v_revision := -1;
    v_hash := '';
  END IF;

  v_expected_holds := CASE p_expected
      WHEN 'any' THEN true
      WHEN 'no_stream' THEN v_revision = -1
      WHEN 'stream_exists' THEN v_revision >= 0
      ELSE v_revision = p_expected::bigint END;
  IF NOT v_expected_holds THEN
    RAISE EXCEPTION USING ERRCODE = 'EX409', MESSAGE = 'wrong expected revision', DETAIL = v_revision::text;
  END IF;

  FOR i IN 0 .. v_count - 1 LOOP
    v_hash := encode(sha256(convert_to(v_hash || (p_events -> i ->> 'digest'), 'UTF8')), 'hex');
    v_hashes := v_hashes || v_hash;
  END LOOP;

  INSERT INTO eventstore.streams AS s (stream_name, revision, last_hash) VALUES (p_stream, v_revision + v_count, v_hash)
    ON CONFLICT (stream_name) DO UPDATE SET revision = excluded.revision, last_hash = excluded.last_hash;

  RETURN QUERY
  WITH inserted AS (
    INSERT INTO eventstore.events AS e (stream_name, stream_revision, event_id, event_type, data, metadata)
    SELECT p_stream, v_revision + n, (x.value ->> 'eventId')::uuid, x.value ->> 'type', x.value -> 'data',
           (x.value -> 'metadata') || jsonb_build_object('hash', v_hashes[n])
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS x(value, n)
     ORDER BY n
    RETURNING e.global_position)
  SELECT v_revision + v_count, pg_current_xact_id()::text, max(inserted.global_position) FROM inserted;
END $$;
`;

/** envelope.ts's isEventix in SQL: rows without an Eventix envelope (written by hand, or by something else) are foreign and skipped. */
const OURS_SQL = `jsonb_typeof(data) = 'object' AND jsonb_typeof(metadata -> 'hash') = 'string' AND jsonb_typeof(metadata -> 'occurredAt') = 'string'`;

/**
 * A page of the log after the position ($1, $2): at most $3 events, of the types $4 if `ofTypes`.
 * Paging through the log must walk the events_global_order index in order and stop after the page: each page then starts
 * where the last one ended, and reading the whole log is linear. The filters are one CASE so the planner keeps to that walk.
 * Without statistics on them (a log just imported, never analysed: what an operator replays) it guesses 0.5 % for each
 * equality and 1 % for the types, expects a page to need the whole table, and reads and sorts all of it for every page
 * (a replay of 1,000,000 events ran at ~1,100 events/s); a CASE it guesses at 50 %.
 */
export const logPageSql = (columns: string, { withForeign = false, ofTypes = false } = {}) => {
  const filters = [...(withForeign ? [] : [OURS_SQL]), ...(ofTypes ? ['event_type = ANY($4)'] : [])];
  return `SELECT ${columns} FROM eventstore.events
    WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
      AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      ${filters.length > 0 ? `AND CASE WHEN ${filters.join(' AND ')} THEN true ELSE false END` : ''}
    ORDER BY transaction_id, global_position
    LIMIT $3`;
};

const COLUMNS = `transaction_id::text AS tx, global_position, stream_name, stream_revision, event_id, event_type, data, metadata`;

const PROJECTED_COLUMNS = `transaction_id::text AS tx, global_position, stream_name, stream_revision, event_type, data,
  metadata ->> 'occurredAt' AS occurred_at, (metadata ->> 'schemaVersion')::int AS schema_version`;

type ProjectedRow = Omit<Row, 'event_id' | 'metadata'> & { occurred_at: string; schema_version: number | null };

type Row = {
  tx: string;
  global_position: string;
  stream_name: string;
  stream_revision: string;
  event_id: string;
  event_type: string;
  data: Record<string, unknown>;
  metadata: Omit<Recorded['metadata'], 'eventId'>;
};

const toRecorded = (row: Row): Recorded => ({
  type: row.event_type,
  data: row.data,
  schemaVersion: row.metadata.schemaVersion ?? 1,
  streamName: row.stream_name,
  revision: BigInt(row.stream_revision),
  position: toPosition(row.tx, row.global_position),
  metadata: Object.assign(row.metadata, { eventId: row.event_id }), // the row is ours alone: no copy
});

const NOTIFY_CHANNEL = 'eventix_eventstore';
const NOTIFY_DELAY_MS = 3;
/** Without any notification (e.g. another process crashed between commit and notify), look anyway. */
const FALLBACK_POLL_MS = 1_000;
const SUBSCRIPTION_BATCH = 1_000;
/** The longest wait for committed rows that an older open transaction still hides (each look is two index probes). */
const PENDING_POLL_MAX_MS = 25;

export class PostgresEventStore implements EventStore {
  private readonly logger = new Logger(PostgresEventStore.name);
  private readonly pool: Pool;
  /** Wakes subscribers: fed by this process's appends and by LISTEN for other processes' appends. */
  private readonly appended = new EventEmitter().setMaxListeners(0);
  private generation = 0;
  private listener?: Promise<Client>;
  private notifying: 'idle' | 'scheduled' | 'sending' = 'idle';
  private notifyAgain = false;
  private closed = false;

  constructor(config: PoolConfig) {
    this.pool = new Pool({ max: 10, ...config });
    this.pool.on('error', (error) => this.logger.warn(`Idle event-store connection failed: ${error.message}`));
  }

  /** Creates or updates the schema; safe to run from several instances at once. */
  async migrate(): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(${ADVISORY_LOCKS.eventStoreMigration})`);
      await client.query(SCHEMA_SQL);
    });
  }

  async appendToStream(
    stream: string,
    events: Event[],
    options: { expectedRevision: ExpectedRevision; context: MessageContext | MessageContext[] },
  ): Promise<AppendResult> {
    const envelopes: Envelope[] = toEnvelopes(stream, events, options.context);
    try {
      const { rows } = await this.pool.query<{ next_revision: string; transaction_id: string; global_position: string }>({
        name: 'eventstore.append',
        text: 'SELECT * FROM eventstore.append_to_stream($1, $2, $3)',
        values: [stream, String(options.expectedRevision), JSON.stringify(envelopes)],
      });
      const [row] = rows;
      this.announceAppend();
      return { nextRevision: BigInt(row.next_revision), position: toPosition(row.transaction_id, row.global_position) };
    } catch (error) {
      if ((error as { code?: string }).code === 'EX409') {
        const actual = BigInt((error as { detail: string }).detail);
        throw new WrongExpectedRevisionError(stream, options.expectedRevision, actual < 0n ? 'no_stream' : actual);
      }
      throw error;
    }
  }

  async readStream(stream: string, options: { fromRevision?: bigint } = {}): Promise<StreamRead> {
    // One statement, one snapshot: the revision and the events agree.
    const { rows } = await this.pool.query<Row & { head: string }>({
      name: 'eventstore.readStream',
      text: `SELECT s.revision AS head, e.* FROM eventstore.streams s
             LEFT JOIN LATERAL (SELECT ${COLUMNS} FROM eventstore.events
                                 WHERE stream_name = s.stream_name AND stream_revision >= $2
                                 ORDER BY stream_revision) e ON true
             WHERE s.stream_name = $1
             ORDER BY e.stream_revision`,
      values: [stream, String(options.fromRevision ?? 0n)],
    });
    if (rows.length === 0) return { events: [], revision: 'no_stream' };
    const head = BigInt(rows[0].head);
    const events = rows[0].event_id === null ? [] : rows.filter((row) => isEventix(row.data, row.metadata)).map((row) => toRecorded(row));
    return { events, revision: head < 0n ? 'no_stream' : head };
  }

  async readAll(options: ReadAllOptions): Promise<Recorded[]> {
    return (await this.readLog<Row>('readAll', COLUMNS, options)).map((row) => toRecorded(row));
  }

  async readAllWithForeign(options: Omit<ReadAllOptions, 'types'>): Promise<(Recorded | Foreign)[]> {
    const rows = await this.readLog<Row>('readAllWithForeign', COLUMNS, options, true);
    return rows.map((row) =>
      isEventix(row.data, row.metadata)
        ? toRecorded(row)
        : { foreign: true, streamName: row.stream_name, revision: BigInt(row.stream_revision), position: toPosition(row.tx, row.global_position), type: row.event_type },
    );
  }

  /** Of the metadata, only what projections use: PostgreSQL's jsonb output and Node's JSON parsing of the rest are most of a read. */
  async readAllProjected(options: ReadAllOptions): Promise<Projected[]> {
    const rows = await this.readLog<ProjectedRow>('readAllProjected', PROJECTED_COLUMNS, options);
    return rows.map((row) => ({
      type: row.event_type,
      data: row.data as Record<string, unknown>,
      schemaVersion: row.schema_version ?? 1,
      streamName: row.stream_name,
      revision: BigInt(row.stream_revision),
      position: toPosition(row.tx, row.global_position),
      metadata: { occurredAt: row.occurred_at },
    }));
  }

  private async readLog<R extends QueryResultRow>(name: string, columns: string, { after, limit, types }: ReadAllOptions, withForeign = false): Promise<R[]> {
    const cursor = after === undefined ? { high: 0n, low: 0n } : parsePosition(after);
    if (!cursor) throw new Error(`Not a position: ${after}`);
    const { rows } = await this.pool.query<R>({
      name: `eventstore.${name}${types ? 'OfTypes' : ''}`,
      text: logPageSql(columns, { withForeign, ofTypes: types !== undefined }),
      values: [String(cursor.high), String(cursor.low), limit, ...(types ? [types] : [])],
    });
    return rows;
  }

  async *subscribeToAll({ after, signal }: { after?: Position; signal: AbortSignal }): AsyncIterable<Recorded> {
    await this.listen();
    let cursor = after;
    let backoffMs = 0;
    while (!signal.aborted) {
      const seen = this.generation;
      const batch = await this.readAll({ after: cursor, limit: SUBSCRIPTION_BATCH });
      if (batch.length > 0) backoffMs = 0;
      for (const event of batch) {
        if (signal.aborted) return;
        yield event;
        cursor = event.position;
      }
      if (batch.length === SUBSCRIPTION_BATCH) continue;
      // Committed rows past the cursor that readAll could not return yet wait behind an older open
      // transaction; whatever ends it may notify nobody, so look again soon (lag, never loss).
      if (await this.hasRowsAfter(cursor)) {
        // Short: under load some append is nearly always in flight, and these waits add up to projection lag.
        backoffMs = Math.min(Math.max(backoffMs * 2, 2), PENDING_POLL_MAX_MS);
        await this.pause(backoffMs, signal, false);
      } else {
        backoffMs = 0;
        if (this.generation === seen && !this.closed) await this.pause(FALLBACK_POLL_MS, signal, true);
        if (!this.listener && !this.closed) await this.listen().catch(() => undefined);
      }
    }
  }

  async countAll(types?: readonly string[]): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM eventstore.events WHERE ${OURS_SQL} ${types ? 'AND event_type = ANY($1)' : ''}`,
      types ? [types] : [],
    );
    return Number(rows[0].n);
  }

  /** Also says how old the oldest writing transaction on the server is: it holds every reader back. */
  async ping(): Promise<Record<string, unknown>> {
    const { rows } = await this.pool.query<{ seconds: number }>(
      `SELECT coalesce(extract(epoch FROM max(now() - xact_start)), 0)::float8 AS seconds
         FROM pg_stat_activity WHERE backend_xid IS NOT NULL`,
    );
    return { oldestWritingTransactionSeconds: Math.round(rows[0].seconds * 10) / 10 };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.appended.emit('append');
    const listener = this.listener;
    this.listener = undefined;
    await listener?.then((client) => client.end()).catch(() => undefined);
    await this.pool.end();
  }

  /** Whether rows a reader would get lie past `after` (foreign ones never come, so they are no reason to look again). */
  private async hasRowsAfter(after: Position | undefined): Promise<boolean> {
    const cursor = after === undefined ? { high: 0n, low: 0n } : parsePosition(after)!;
    const { rows } = await this.pool.query({
      name: 'eventstore.hasRowsAfter',
      text: `SELECT EXISTS (SELECT 1 FROM eventstore.events WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint) AND ${OURS_SQL}) AS pending`,
      values: [String(cursor.high), String(cursor.low)],
    });
    return rows[0].pending as boolean;
  }

  /** Wakes local subscribers now and tells other processes, outside the append's transaction, a moment later. */
  private announceAppend(): void {
    this.generation++;
    this.appended.emit('append');
    this.notifyOtherProcesses();
  }

  /**
   * NOTIFY inside the append would take a global lock across every commit's disk flush and
   * serialize all appenders. So a NOTIFY follows the commit instead, in a transaction of its own
   * that does not wait for the disk (a NOTIFY takes a transaction id, so its commit would otherwise
   * cost a second flush per append). It goes NOTIFY_DELAY_MS later, for every append meanwhile:
   * one per append would make each append wait for a second transaction, and other processes'
   * subscribers hear of an append a few milliseconds later instead. One lost in a crash costs them their fallback poll.
   */
  private notifyOtherProcesses(): void {
    if (this.notifying === 'scheduled') return; // it goes after this append's commit: it covers it
    if (this.notifying === 'sending') {
      this.notifyAgain = true; // it may reach a listener before this commit does
      return;
    }
    this.notifying = 'scheduled';
    setTimeout(() => {
      if (this.closed) return;
      this.notifying = 'sending';
      this.pool
        .query(`SET LOCAL synchronous_commit TO OFF; SELECT pg_notify('${NOTIFY_CHANNEL}', '')`)
        .catch((error: Error) => this.logger.warn(`Could not notify subscribers: ${error.message}`))
        .finally(() => {
          this.notifying = 'idle';
          if (this.notifyAgain && !this.closed) {
            this.notifyAgain = false;
            this.notifyOtherProcesses();
          }
        });
    }, NOTIFY_DELAY_MS).unref();
  }

  private listen(): Promise<Client> {
    this.listener ??= (async () => {
      const client = new Client(this.pool.options);
      client.on('notification', () => {
        this.generation++;
        this.appended.emit('append');
      });
      client.on('error', (error) => {
        // Reconnect on next subscription step; meanwhile the fallback poll keeps readers going.
        this.logger.warn(`Event-store listener lost: ${error.message}`);
        this.listener = undefined;
        this.generation++;
        this.appended.emit('append');
      });
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      return client;
    })().catch((error: Error) => {
      this.listener = undefined;
      throw error;
    });
    return this.listener;
  }

  /** Waits `ms`, or less: until an abort or, with `wakeOnAppend`, the next append anywhere. */
  private pause(ms: number, signal: AbortSignal, wakeOnAppend: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.appended.off('append', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (wakeOnAppend) this.appended.on('append', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
