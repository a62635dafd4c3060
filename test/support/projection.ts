import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/all.js';
import { followed } from '../../src/projections/log-runner.js';
import { inlined, type Projector, type Row } from '../../src/projections/projector.js';
import { type Event, type Projected, toPosition } from '../../src/write/event-store/event-store.port.js';
import { createTestDatabase } from './database.js';

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?$/;

/**
 * A row as both sides can be compared: every value as text (a read model holds money as text and
 * times in UTC), times as ISO strings, and a column that is NULL left out, as a bulk load leaves out
 * what a folded row lacks.
 */
const comparable = (row: Row): Record<string, string> =>
  Object.fromEntries(
    Object.entries(row)
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([column, value]) => {
        const text = String(value);
        return [column, TIMESTAMP.test(text) ? new Date(text.endsWith('Z') ? text : `${text}Z`).toISOString() : text];
      }),
  );

const sorted = (rows: Iterable<Row>) => [...rows].map(comparable).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** Events as the log holds them: in order, the n-th at position n + 1, occurring n seconds after 10:00, at the version they say (else 1). */
const inLog = <E extends Event>(events: E[]): Projected<E>[] =>
  events.map((event, i) => ({
    ...event,
    schemaVersion: event.schemaVersion ?? 1,
    streamName: 'test',
    revision: BigInt(i),
    position: toPosition(BigInt(i + 1), 0n),
    metadata: { occurredAt: new Date(Date.UTC(2026, 11, 1, 10, 0, i)).toISOString() },
  }));

/**
 * given(events).then(rows): a projector's two ways of applying events — `fold`, in memory, and
 * `project`, its SQL on a test database — both end with exactly these rows in its tables.
 */
export const projectorSpecification = <E extends Event>(projector: Projector<E>) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: DataSource;
  beforeAll(async () => {
    database = await createTestDatabase(`projector_${projector.name}`);
    db = new DataSource({ type: 'postgres', url: database.url, migrations, extra: { max: 2 } });
    await db.initialize();
    await db.runMigrations();
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const given = (...events: E[]) => ({
    then: async (expected: Record<string, Row[]>) => {
      // As the runner hands them over: in log order, and only the types the projector follows.
      const handled = followed(projector.handles, inLog(events));
      const want = Object.fromEntries(projector.tables.map((table) => [table, sorted(expected[table] ?? [])]));

      const fold = projector.fold();
      for (const event of handled) fold.apply(event);
      const folded = fold.rows();
      expect(Object.fromEntries(projector.tables.map((table) => [table, sorted(folded[table] ?? [])]))).toEqual(want);

      await db.query(`TRUNCATE ${projector.tables.join(', ')} CASCADE`);
      for (const event of handled) for (const statement of projector.project(event)) await db.query(inlined(statement));
      const projected: Record<string, Row[]> = {};
      for (const table of projector.tables) {
        // Every column as text, as PostgreSQL writes it: numeric(10,2) keeps its two decimals.
        const rows: { row: Row }[] = await db.query(`SELECT (SELECT json_object_agg(key, value) FROM json_each_text(row_to_json(t))) AS row FROM ${table} t`);
        projected[table] = sorted(rows.map(({ row }) => row));
      }
      expect(projected).toEqual(want);
    },
  });
  return given;
};
