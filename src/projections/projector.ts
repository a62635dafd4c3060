import { hash } from 'node:crypto';
import pgUtils from 'pg/lib/utils.js';
import type { Event, Projected } from '../write/event-store/event-store.port.js';

/** A parameterised statement, as `sql` builds it: `sql\`UPDATE t SET a = ${a}\`` → { text: 'UPDATE t SET a = $1', values: [a] }. */
export type Sql = { text: string; values: unknown[] };

export const sql = (strings: TemplateStringsArray, ...values: unknown[]): Sql => ({
  text: strings.reduce((text, part, i) => `${text}$${i}${part}`),
  values,
});

/**
 * A projector is a plain function from an event to the SQL that applies it to its read model:
 * no I/O of its own, so it is tested without a database, and the runner commits its SQL, the
 * event's processed mark and the checkpoint in one transaction.
 */
export type Projector<E extends Event = Event> = {
  /** Key of its checkpoint and its processed marks; never renamed once deployed. */
  name: string;
  /** The tables it writes, schema-qualified: what a replay rebuilds in shadow copies and swaps in. */
  tables: readonly string[];
  handles: ReadonlySet<E['type']>;
  /**
   * Its columns that hold a user id (docs/privacy.md): the projector writes them from events whose
   * encrypted ids were opened for it, and an erasure rewrites them to `erased:<subject>`.
   */
  personal?: readonly { table: string; column: string }[];
  // Methods, not function properties: a list of projectors of different events is one array.
  project(event: Projected<E>): Sql[];
  /**
   * The same projection folded in memory, for a rebuild from the log: statement by statement, a
   * million events are two million round-trip-bound statements; folded, they are the final rows,
   * loaded in bulk. `project` stays the definition: each projector's spec holds the two to the same
   * rows, test/rebuild.e2e.spec.ts does so for random histories, and `eventix verify` compares a
   * fold with the live tables.
   */
  fold(): Fold<E>;
};

/** A row as its table's columns name it; values as the statements would send them (ISO times, money as text). */
export type Row = Record<string, unknown>;

export type Fold<E extends Event = Event> = {
  apply(event: Projected<E>): void;
  /** Each table's rows after every event applied so far. */
  rows(): Record<string, Iterable<Row>>;
};

/** `rows` of a table in memory: by primary key, and by any other key its projector's WHERE clauses use. */
export const keyOf = (first: unknown, second: unknown) => `${first}|${second}`;

/** Sets `changes` on the row of `key`, if there is one: an UPDATE … WHERE key = … in memory. */
export const updateRow = (rows: Map<string, Row>, key: string, changes: Row) => {
  const row = rows.get(key);
  if (row) Object.assign(row, changes);
};

/** The time an event occurred, for created_at/updated_at columns (TIMESTAMP, in UTC). */
export const occurredAt = (event: Projected) => event.metadata.occurredAt;

/**
 * A statement with its parameters written in as literals, exactly as the driver would send them
 * (pg's own prepareValue and escapeLiteral), so that many can share one simple-query round trip.
 */
export const inlined = ({ text, values }: Sql): string =>
  text.replace(/\$(\d+)/g, (_, n: string) => {
    const value = pgUtils.prepareValue(values[Number(n) - 1]);
    return value === null ? 'NULL' : pgUtils.escapeLiteral(String(value));
  });

/** Statements joined for one round trip each, `perRoundTrip` at a time: applying a batch is round trips. */
export const roundTrips = (statements: string[], perRoundTrip = 250): string[] => {
  const chunks: string[] = [];
  for (let i = 0; i < statements.length; i += perRoundTrip) chunks.push(statements.slice(i, i + perRoundTrip).join(';\n'));
  return chunks;
};

/**
 * RFC 4122's name-based (version 5, SHA-1) UUID of `name` in `namespace`: the same ids as the
 * `uuid` package's v5, which validates and parses its namespace on every call. A replay makes one
 * for every booked seat; this way it costs one one-shot hash (projector.spec.ts holds the two equal).
 */
export const nameUuid = (name: string, namespace: string): string => {
  const hex = hash('sha1', Buffer.concat([Buffer.from(namespace.replaceAll('-', ''), 'hex'), Buffer.from(name, 'utf8')]), 'hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};
