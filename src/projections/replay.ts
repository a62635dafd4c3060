import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EventStore, Position, Projected } from '../write/event-store/event-store.port.js';
import { inTransaction } from '../database.js';
import { erasedUserId, subjectOf } from '../write/privacy/personal-data.js';
import type { UserIdReader } from '../write/privacy/user-keys.js';
import { followed } from './log-runner.js';
import { inlined, type Projector, roundTrips, type Row } from './projector.js';
import { eraseUserId } from './projectors.js';

/**
 * Rebuilding read models from the log, for `eventix replay` and `eventix verify`. The projectors'
 * tables are rebuilt in shadow copies (`<table>__shadow`, same columns, defaults and indexes), the
 * live ones untouched and answering queries meanwhile; a replay then swaps them in one transaction.
 * An interrupted replay leaves only shadow tables behind, which the next run replaces.
 */
export type Bound = { position?: Position; time?: Date };
export type Progress = (applied: number) => void;

const BATCH = 2_000;
const LOAD_CHUNK_CHARS = 256 * 1024;
const shadowOf = (table: string) => `${table}__shadow`;
const bare = (table: string) => table.split('.')[1];

/** The projectors' SQL, pointed at the shadow tables (enum types and other tables keep their names). */
const toShadows = (tables: readonly string[]) => {
  const own = new Set(tables);
  return (text: string) => text.replace(/\b(?:catalog|booking|payment|public)\.[a-z_]+\b/g, (name) => (own.has(name) ? shadowOf(name) : name));
};

/** A value in COPY's text format, read by its column's own input function as a literal would be. */
const copyText = (value: unknown, column: string): string => {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string') return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c]) : value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  throw new Error(`A ${typeof value} cannot be loaded into column ${column}`);
};
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIALS = /[\\\n\r\t]/g;

/** The rows as COPY text, a few hundred kilobytes a chunk; a column a row lacks is NULL. */
function* copyLines(rows: Iterable<Row>, columns: string[]): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    // A loop, not map and join: this runs for every column of a million rows.
    let line = copyText(row[columns[0]], columns[0]);
    for (let i = 1; i < columns.length; i++) line += `\t${copyText(row[columns[i]], columns[i])}`;
    chunk += `${line}\n`;
    if (chunk.length >= LOAD_CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Rows into a table through COPY, PostgreSQL's bulk path: Node writes the next chunk while the
 * server parses the last, and the stream's back-pressure keeps memory flat.
 */
const loadRows = async (client: PoolClient, table: string, rows: Iterable<Row>): Promise<void> => {
  const { rows: found } = await client.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [table],
  );
  const columns = found.map((c) => c.name);
  const list = columns.map((name) => client.escapeIdentifier(name)).join(', ');
  await pipeline(Readable.from(copyLines(rows, columns)), client.query(copyFrom(`COPY ${table} (${list}) FROM STDIN`)));
};

const tablesOf = (projectors: Projector[]) => projectors.flatMap((p) => p.tables);

const beyond = (event: Projected, bound: Bound) =>
  (bound.position !== undefined && event.position > bound.position) || (bound.time !== undefined && Date.parse(event.metadata.occurredAt) > bound.time.getTime());

export class Rebuild {
  private readonly rewrite: (text: string) => string;
  /** The event types the projectors follow: all that a rebuild reads of the log. */
  readonly types: string[];
  /** Where the shadows are in the log. */
  position: Position | undefined;
  applied = 0;
  /** Whether some projector keeps user ids: the log's encrypted ids are then opened for it. */
  private readonly personal: boolean;
  /** subject → the user id opened into the shadows, in case the subject is erased before they are swapped in. */
  private readonly opened = new Map<string, string>();

  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    readonly projectors: Projector[],
    private readonly users: UserIdReader,
  ) {
    this.rewrite = toShadows(tablesOf(projectors));
    this.types = [...new Set(projectors.flatMap((p) => [...p.handles]))];
    this.personal = projectors.some((p) => (p.personal ?? []).length > 0);
  }

  /**
   * Fresh, empty shadow tables (a previous, interrupted run's are dropped) with the live tables'
   * columns and defaults but no indexes yet: rows load faster into a bare table, and an index built
   * over all of them at once is a sort rather than a million insertions.
   */
  private async createBareShadows(): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      for (const table of tablesOf(this.projectors)) {
        await client.query(`DROP TABLE IF EXISTS ${shadowOf(table)} CASCADE`);
        await client.query(`CREATE TABLE ${shadowOf(table)} (LIKE ${table} INCLUDING ALL EXCLUDING INDEXES)`);
      }
    });
  }

  /** The live table's primary key, unique constraints and indexes, on its shadow (their names follow at the swap). */
  private async indexShadow(client: PoolClient, table: string): Promise<void> {
    const { rows: constraints } = await client.query<{ definition: string; index: string }>(
      `SELECT pg_get_constraintdef(c.oid) AS definition, c.conindid::regclass::text AS index FROM pg_constraint c
        WHERE c.conrelid = $1::regclass AND c.contype IN ('p', 'u')`,
      [table],
    );
    for (const { definition } of constraints) await client.query(`ALTER TABLE ${shadowOf(table)} ADD ${definition}`);
    const [schema, name] = table.split('.');
    const { rows: indexes } = await client.query<{ definition: string }>(
      `SELECT indexdef AS definition FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND schemaname || '.' || indexname <> ALL($3)`,
      [schema, name, constraints.map((c) => (c.index.includes('.') ? c.index : `${schema}.${c.index}`))],
    );
    for (const { definition } of indexes) await client.query(definition.replace(/INDEX \S+ ON \S+/, `INDEX ON ${shadowOf(table)}`));
  }

  /**
   * Builds the shadows: folds the log in memory (each projector's `fold`) from the start up to
   * `bound` (or the log's end), loads the rows each table ends with into new, bare shadows in bulk,
   * then indexes them. What the log gets after that, `catchUp` applies statement by statement.
   */
  async build(bound: Bound = {}, progress?: Progress, signal?: AbortSignal): Promise<void> {
    if (this.position !== undefined) throw new Error('build() folds the log from its start into new shadows');
    await this.createBareShadows();
    const folds = this.projectors.map((projector) => ({ handles: projector.handles, fold: projector.fold() }));
    for await (const batch of this.pages(bound, signal)) {
      for (const { handles, fold } of folds) for (const event of followed(handles, batch)) fold.apply(event);
      this.advance(batch, progress);
    }
    // Each table over a connection of its own (the shadows are not live: they need not load in one
    // transaction): PostgreSQL inserts one table's rows while Node serialises another's.
    const tables = folds.flatMap(({ fold }) => Object.entries(fold.rows()));
    await Promise.all(
      tables.map(([table, rows]) =>
        inTransaction(this.pool, async (client) => {
          await loadRows(client, shadowOf(table), rows);
          await this.indexShadow(client, table);
        }),
      ),
    );
  }

  /** Applies the log to the shadows, statement by statement, from where they are up to `bound` (or the log's end). */
  async catchUp(bound: Bound = {}, progress?: Progress, signal?: AbortSignal, client?: PoolClient): Promise<void> {
    for await (const batch of this.pages(bound, signal)) {
      await this.applyBatch(batch, client);
      this.advance(batch, progress);
    }
  }

  private advance(batch: Projected[], progress?: Progress) {
    this.position = batch[batch.length - 1].position;
    this.applied += batch.length;
    progress?.(this.applied);
  }

  /** The log after the shadows' position, page by page up to `bound`; the next page is read while the current one is applied. */
  private async *pages(bound: Bound, signal?: AbortSignal): AsyncGenerator<Projected[]> {
    const read = (after: Position | undefined) => {
      const page = this.store.readAllProjected({ after, limit: BATCH, types: this.types }).then((events) => this.open(events));
      page.catch(() => undefined); // awaited below; a failure of a page read ahead must not go unhandled meanwhile
      return page;
    };
    for (let next = read(this.position); ; ) {
      signal?.throwIfAborted();
      const page = await next;
      const batch = page.filter((event) => !beyond(event, bound));
      const more = batch.length === page.length && page.length === BATCH;
      if (more) next = read(page[page.length - 1].position);
      if (batch.length > 0) yield batch;
      if (!more) return;
    }
  }

  /** The page with its encrypted ids opened, as the live projectors get them; what was opened is remembered for settleErasures. */
  private async open(page: Projected[]): Promise<Projected[]> {
    if (!this.personal) return page;
    const { events } = await this.users.reveal(page, 'id');
    events.forEach((event, i) => {
      const subject = subjectOf((page[i].data as { userId?: unknown }).userId);
      const userId = (event.data as { userId?: string }).userId;
      if (subject && userId !== undefined && userId !== erasedUserId(subject)) this.opened.set(subject, userId);
    });
    return events;
  }

  /**
   * Erasures wait until this transaction ends (call first: an erasure takes this lock before the
   * read-model tables, so taking it after them could deadlock with one).
   */
  async holdErasures(client: PoolClient): Promise<void> {
    await client.query(`SELECT generation FROM privacy.erasures FOR SHARE`);
  }

  /**
   * The users erased while the shadows were built from keys read before: their ids in the shadows
   * become `erased:<subject>`, as the erasure made them in the live tables. After holdErasures, in the same transaction.
   */
  async settleErasures(client: PoolClient): Promise<void> {
    if (this.opened.size === 0) return;
    const { rows } = await client.query<{ subject: string }>(
      `SELECT subject_id::text AS subject FROM privacy.user_keys WHERE subject_id = ANY($1::uuid[]) AND erased_at IS NOT NULL`,
      [[...this.opened.keys()]],
    );
    for (const { subject } of rows) {
      for (const { text, values } of eraseUserId(this.projectors, this.opened.get(subject)!, erasedUserId(subject), shadowOf)) await client.query(text, values);
      this.opened.delete(subject);
    }
  }

  /**
   * In the given transaction, or else each projector in a transaction of its own, at the same time:
   * their tables are disjoint and none reads another's, and each one's statements keep the log's order.
   */
  private async applyBatch(batch: Projected[], given?: PoolClient): Promise<void> {
    const perProjector = this.projectors
      .map((projector) => followed(projector.handles, batch).flatMap((event) => projector.project(event)))
      .filter((statements) => statements.length > 0)
      .map((statements) => statements.map((statement) => this.rewrite(inlined(statement))));
    // A replay is round trips: the statements go in order, many to a round trip, as literal SQL.
    const apply = (statements: string[]) => async (client: PoolClient) => {
      for (const chunk of roundTrips(statements)) await client.query(chunk);
    };
    if (given) for (const statements of perProjector) await apply(statements)(given);
    else await Promise.all(perProjector.map((statements) => inTransaction(this.pool, apply(statements))));
  }

  /**
   * Swaps the shadows in, in one transaction: readers wait a moment and then read the new tables.
   * Live projectors are held off (their tables and checkpoints are locked), the shadows take the
   * last events (unless bounded), and the projectors' checkpoints move to where the shadows are.
   */
  async swap(bound?: Bound): Promise<void> {
    const tables = tablesOf(this.projectors);
    const names = this.projectors.map((p) => p.name);
    await inTransaction(this.pool, async (client) => {
      await client.query(`SET LOCAL lock_timeout = '30s'`);
      await this.holdErasures(client);
      await client.query(`LOCK TABLE ${tables.join(', ')} IN ACCESS EXCLUSIVE MODE`);
      await client.query(`SELECT 1 FROM projections.checkpoints WHERE projector = ANY($1) FOR UPDATE`, [names]);
      if (!bound) await this.catchUp({}, undefined, undefined, client);
      await this.settleErasures(client);
      const indexes = await this.indexNames(client, tables);
      const foreignKeys = await this.foreignKeys(client, tables);
      for (const table of tables) await client.query(`ALTER TABLE ${table} RENAME TO ${bare(table)}__old`);
      await client.query(`DROP TABLE ${tables.map((t) => `${t}__old`).join(', ')} CASCADE`);
      for (const table of tables) await client.query(`ALTER TABLE ${shadowOf(table)} RENAME TO ${bare(table)}`);
      for (const { schema, shadow, live } of indexes) await client.query(`ALTER INDEX ${schema}.${shadow} RENAME TO ${live}`);
      // LIKE copies no foreign keys: the new tables get the old ones' (which now name the new tables).
      for (const { table, name, definition } of foreignKeys) await client.query(`ALTER TABLE ${table} ADD CONSTRAINT ${name} ${definition}`);
      await client.query(
        `INSERT INTO projections.checkpoints (projector, position) SELECT unnest($1::text[]), $2
         ON CONFLICT (projector) DO UPDATE SET position = excluded.position, updated_at = now()`,
        [names, this.position ?? ''],
      );
      // Events after the new checkpoint are applied again by the live projectors: their old marks must not stop them.
      await client.query(`DELETE FROM booking.processed_events WHERE projector = ANY($1)`, [names]);
    });
  }

  /** Drops the shadows (verify, or giving up). */
  async dropShadows(): Promise<void> {
    for (const table of tablesOf(this.projectors)) await this.pool.query(`DROP TABLE IF EXISTS ${shadowOf(table)} CASCADE`);
  }

  /**
   * The live tables' index names, and the shadow index that has the same definition: a shadow's
   * indexes get generated names, and must carry the documented ones once swapped in.
   */
  private async indexNames(client: PoolClient, tables: string[]) {
    const pairs: { schema: string; shadow: string; live: string }[] = [];
    for (const table of tables) {
      const [schema, name] = table.split('.');
      const definitions = async (of: string) =>
        (await client.query<{ indexname: string; indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2`, [schema, of]))
          .rows.map((row) => ({ name: row.indexname, shape: row.indexdef.replace(/INDEX \S+ ON \S+/, 'INDEX ON') }));
      const live = await definitions(name);
      for (const shadow of await definitions(`${name}__shadow`)) {
        const twin = live.find((index) => index.shape === shadow.shape);
        if (twin) pairs.push({ schema, shadow: shadow.name, live: twin.name });
      }
    }
    return pairs;
  }

  private async foreignKeys(client: PoolClient, tables: string[]) {
    const { rows } = await client.query<{ table: string; name: string; definition: string }>(
      `SELECT c.conrelid::regclass::text AS table, c.conname AS name, pg_get_constraintdef(c.oid) AS definition
         FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY($1)`,
      [tables],
    );
    return rows;
  }

  /** Rows that differ between each live table and its shadow, at most `limit` a table. */
  async differences(client: PoolClient, limit = 20): Promise<{ table: string; onlyLive: unknown[]; onlyRebuilt: unknown[] }[]> {
    const found = [];
    for (const table of tablesOf(this.projectors)) {
      const diff = async (a: string, b: string) =>
        (await client.query(`SELECT to_jsonb(d) AS row FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b}) d LIMIT $1`, [limit])).rows.map((r) => r.row);
      const onlyLive = await diff(table, shadowOf(table));
      const onlyRebuilt = await diff(shadowOf(table), table);
      if (onlyLive.length > 0 || onlyRebuilt.length > 0) found.push({ table, onlyLive, onlyRebuilt });
    }
    return found;
  }
}
