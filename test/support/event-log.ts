import { Client } from 'pg';
import { type Position, type Recorded, toPosition } from '../../src/write/event-store/event-store.port.js';
import { isEventix } from '../../src/write/event-store/envelope.js';
import { onEventStoreDb, openTestEventStore } from './event-store.js';

/**
 * Every committed event of a test database's log, in global order, with no read model between.
 * On PostgreSQL straight from the store's table, not through readAll: readAll waits for every older
 * transaction on the whole server to end (STYLE.md §3), so another test database's long transaction
 * would make a check miss events that are committed. On EventStoreDB, where that wait does not
 * exist, through the adapter: readAll, page after page, sees the database's stream prefix only.
 * `log`: see streamPrefixOf (EventStoreDB only).
 */
export const wholeLog = async (databaseUrl: string, log = ''): Promise<Recorded[]> =>
  onEventStoreDb() ? readWholeLog(databaseUrl, log) : readEventsTable(databaseUrl);

/**
 * The events that requests with these correlation ids wrote, in global order. On PostgreSQL the table is
 * filtered where it lies, over the caller's connection to the test database, so that a test can ask after
 * every one of thousands of requests; on EventStoreDB, the whole log.
 */
export const eventsOfRequests = async (databaseUrl: string, sql: Client, correlationIds: Set<string>): Promise<Recorded[]> =>
  onEventStoreDb() ? (await readWholeLog(databaseUrl, '')).filter((e) => correlationIds.has(String(e.metadata.correlationId))) : eventsInTable(sql, [...correlationIds]);

const PAGE = 5_000;

const readWholeLog = async (databaseUrl: string, log: string): Promise<Recorded[]> => {
  const store = await openTestEventStore(databaseUrl, log);
  try {
    const events: Recorded[] = [];
    for (let page = await store.readAll({ limit: PAGE }); page.length > 0; page = await store.readAll({ after: page.at(-1)!.position, limit: PAGE })) {
      events.push(...page);
    }
    return events;
  } finally {
    await store.close();
  }
};

const readEventsTable = async (databaseUrl: string): Promise<Recorded[]> => {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await eventsInTable(client);
  } finally {
    await client.end();
  }
};

const eventsInTable = async (client: Client, correlationIds?: string[]): Promise<Recorded[]> => {
  const { rows } = await client.query(
    `SELECT transaction_id::text AS tx, global_position, stream_name, stream_revision, event_id, event_type, data, metadata
       FROM eventstore.events ${correlationIds ? `WHERE metadata ->> 'correlationId' = ANY($1)` : ''} ORDER BY transaction_id, global_position`,
    correlationIds ? [correlationIds] : [],
  );
  // As every reader of the store sees it: without events another writer put in (src/write/event-store/envelope.ts).
  return rows.filter((row) => isEventix(row.data, row.metadata)).map((row) => ({
    type: row.event_type,
    data: row.data,
    schemaVersion: row.metadata.schemaVersion,
    streamName: row.stream_name,
    revision: BigInt(row.stream_revision),
    position: toPosition(row.tx, row.global_position) as Position,
    metadata: { ...row.metadata, eventId: row.event_id },
  }));
};

/**
 * The invariant, from the events alone: for each seat, the bookings that hold it and are still
 * active (placed, not cancelled). Returns the seats held by more than one.
 */
export const doubleBookedSeats = (log: Recorded[]): Map<string, string[]> => {
  const seatsOf = new Map<string, string[]>();
  const cancelled = new Set<string>();
  for (const event of log) {
    const data = event.data as { bookingId: string; items?: { seatId: string }[] };
    if (event.type === 'BookingPlaced') seatsOf.set(data.bookingId, data.items!.map((item) => item.seatId));
    if (event.type === 'BookingCancelled') cancelled.add(data.bookingId);
  }
  const holders = new Map<string, string[]>();
  for (const [bookingId, seatIds] of seatsOf) {
    if (cancelled.has(bookingId)) continue;
    for (const seatId of seatIds) holders.set(seatId, [...(holders.get(seatId) ?? []), bookingId]);
  }
  return new Map([...holders].filter(([, bookings]) => bookings.length > 1));
};
