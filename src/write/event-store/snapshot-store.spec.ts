import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { migrations } from '../../../migrations/all.js';
import { createTestDatabase } from '../../../test/support/database.js';
import { eventually } from '../../../test/support/eventually.js';
import { seatInventoryDecider, seatInventorySnapshot } from '../seat-inventory/seat-inventory.decider.js';
import { type SeatInventoryEvent, seatInventoryStream } from '../seat-inventory/seat-inventory.events.js';
import type { EventStore, MessageContext } from './event-store.port.js';
import { loadState } from './handle-command.js';
import { SnapshotStore } from './snapshot-store.js';
import { openTestEventStore } from '../../../test/support/event-store.js';
import { StreamCache } from './stream-cache.js';

/**
 * A seat inventory's state begins at its snapshot only where the log bears the snapshot out, and
 * is then the state a fold of the whole stream gives. Against real PostgreSQL: the snapshots in
 * the table the migrations make, the log in the suite's event store (test/support/event-store.ts).
 */
describe('StreamCache with snapshots', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: EventStore;
  let db: DataSource;
  let snapshots: SnapshotStore;
  const everyEvents = 10;
  const context: MessageContext = { correlationId: randomUUID(), causationId: null, userId: null };

  beforeAll(async () => {
    database = await createTestDatabase('snapshots');
    store = await openTestEventStore(database.url);
    db = new DataSource({ type: 'postgres', url: database.url, migrations, logging: false });
    await db.initialize();
    await db.runMigrations();
    snapshots = new SnapshotStore(db);
  });
  afterAll(async () => {
    await store.close();
    await db.destroy();
    await database.drop();
  });

  /** Seats reserved one at a time, every third reservation released again: events `from` to `from + count - 1`. */
  const inventoryEvents = (eventId: string, from: number, count: number): SeatInventoryEvent[] =>
    Array.from({ length: count }, (_, i) => {
      const n = from + i;
      if (n % 3 === 2) return { type: 'SeatsReleased', data: { eventId, bookingId: `b-${n - 1}`, seatIds: [`s-${n - 1}`], reason: 'booking-cancelled' } };
      return { type: 'SeatsReserved', data: { eventId, bookingId: `b-${n}`, seatIds: [`s-${n}`], userId: `u-${n % 4}` } };
    });
  /** A new event's inventory of `count` events; answers its stream and a function that appends more. */
  const inventory = async (count: number) => {
    const eventId = randomUUID();
    const stream = seatInventoryStream(eventId);
    let length = 0;
    const append = async (more: number) => {
      const events = inventoryEvents(eventId, length, more);
      const { nextRevision, position } = await store.appendToStream(stream, events, { expectedRevision: length === 0 ? 'no_stream' : BigInt(length - 1), context });
      length += more;
      return { events, nextRevision, position };
    };
    await append(count);
    return { eventId, stream, append };
  };
  /** The real store, counting what the cache reads through it. */
  const counting = () => {
    const reads: { fromRevision: bigint; events: number }[] = [];
    const counted: EventStore = Object.create(store);
    counted.readStream = async (stream, options) => {
      const read = await store.readStream(stream, options);
      reads.push({ fromRevision: options?.fromRevision ?? 0n, events: read.events.length });
      return read;
    };
    return { counted, reads };
  };
  const cacheOver = (eventStore: EventStore, codec = seatInventorySnapshot, snapshotStore = snapshots) =>
    new StreamCache(eventStore, seatInventoryDecider, { snapshots: { store: snapshotStore, codec, everyEvents } });
  const snapshotOf = async (stream: string): Promise<{ schema_version: number; revision: string } | undefined> =>
    (await db.query(`SELECT schema_version, revision FROM snapshots.snapshots WHERE stream_name = $1`, [stream]))[0];
  const snapshotTaken = (stream: string, revision: bigint, version = seatInventorySnapshot.version) =>
    eventually(async () => {
      const row = await snapshotOf(stream);
      return row?.revision === String(revision) && row.schema_version === version;
    }, 10_000, `the snapshot of ${stream} at ${revision}, version ${version}`);
  /** What the cache answers, as loadState answers a fold of the whole stream. */
  const loaded = async (cache: ReturnType<typeof cacheOver>, stream: string) => {
    const { state, revision, position } = await cache.load(stream);
    return { state, revision, position };
  };
  const folded = (stream: string) => loadState(store, stream, seatInventoryDecider);

  it('starts a fresh instance at the snapshot, reading only the events after it, in the state a whole fold gives', async () => {
    const { stream, append } = await inventory(25);
    await cacheOver(store).load(stream);
    await snapshotTaken(stream, 24n); // 25 events past none
    await append(7);

    const { counted, reads } = counting();
    expect(await loaded(cacheOver(counted), stream)).toEqual(await folded(stream));
    // One read, from the snapshot's own last event (its chain hash is checked) to the end.
    expect(reads).toEqual([{ fromRevision: 24n, events: 1 + 7 }]);
  });

  it('takes the next snapshot once the state is everyEvents further, also from what the instance appended itself', async () => {
    const { stream, append } = await inventory(12);
    const cache = cacheOver(store);
    await cache.load(stream);
    await snapshotTaken(stream, 11n);
    const nine = await append(9);
    cache.record(stream, nine.events, nine.nextRevision, nine.position);
    expect((await snapshotOf(stream))?.revision).toBe('11'); // 9 events on: none due
    const tenth = await append(1);
    cache.record(stream, tenth.events, tenth.nextRevision, tenth.position);
    await snapshotTaken(stream, 21n);
  });

  it('ignores a snapshot ahead of the log (a log restored from an older backup), reads it all, and replaces the snapshot', async () => {
    const { stream } = await inventory(12);
    const allHeld = inventoryEvents(randomUUID(), 0, 60).reduce(seatInventoryDecider.evolve, seatInventoryDecider.initialState());
    await snapshots.save(stream, seatInventorySnapshot.version, { revision: 59n, lastHash: 'of-a-later-log', state: seatInventorySnapshot.toSnapshot(allHeld) });

    const { counted, reads } = counting();
    expect(await loaded(cacheOver(counted), stream)).toEqual(await folded(stream));
    expect(reads.slice(0, 2)).toEqual([{ fromRevision: 59n, events: 0 }, { fromRevision: 0n, events: 12 }]);
    await snapshotTaken(stream, 11n); // the contradicted one removed, the next one taken
  });

  it('ignores a snapshot whose event at its revision is another one (the log restored, then written past it)', async () => {
    const { stream } = await inventory(15);
    const other = inventoryEvents(randomUUID(), 0, 6).reduce(seatInventoryDecider.evolve, seatInventoryDecider.initialState());
    await snapshots.save(stream, seatInventorySnapshot.version, { revision: 5n, lastHash: 'of-another-history', state: seatInventorySnapshot.toSnapshot(other) });

    const { counted, reads } = counting();
    expect(await loaded(cacheOver(counted), stream)).toEqual(await folded(stream));
    expect(reads.slice(0, 2)).toEqual([{ fromRevision: 5n, events: 10 }, { fromRevision: 0n, events: 15 }]);
    await snapshotTaken(stream, 14n);
  });

  it('ignores a snapshot of another version, and replaces it with one of its own', async () => {
    const { stream } = await inventory(15);
    await cacheOver(store).load(stream);
    const { version } = seatInventorySnapshot;
    await snapshotTaken(stream, 14n, version);

    const { counted, reads } = counting();
    const next = { ...seatInventorySnapshot, version: version + 1 };
    expect(await loaded(cacheOver(counted, next), stream)).toEqual(await folded(stream));
    expect(reads[0]).toEqual({ fromRevision: 0n, events: 15 });
    await snapshotTaken(stream, 14n, version + 1); // at the same revision: its version is what counts
  });

  it('never moves a snapshot back to an earlier revision', async () => {
    const stream = seatInventoryStream(randomUUID());
    await snapshots.save(stream, 1, { revision: 20n, lastHash: 'h-20', state: {} });
    await snapshots.save(stream, 1, { revision: 10n, lastHash: 'h-10', state: {} });
    expect(await snapshotOf(stream)).toEqual({ schema_version: 1, revision: '20' });
  });

  it('reads the whole stream, and fails no command, when the snapshots cannot be read or written', async () => {
    const elsewhere = await createTestDatabase('no_snapshots'); // no migrations: no snapshots table
    const unmigrated = new DataSource({ type: 'postgres', url: elsewhere.url, logging: false });
    await unmigrated.initialize();
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const { stream } = await inventory(12);
      const cache = cacheOver(store, seatInventorySnapshot, new SnapshotStore(unmigrated));
      expect(await loaded(cache, stream)).toEqual(await folded(stream));
      await eventually(() => warnings.mock.calls.some(([message]) => String(message).startsWith(`No snapshot of ${stream}`)), 10_000, 'the failed save');
      expect(warnings.mock.calls.map(([message]) => String(message).split(':')[0])).toEqual([`Reading all of ${stream}`, `No snapshot of ${stream} at revision 11`]);
    } finally {
      warnings.mockRestore();
      await unmigrated.destroy();
      await elsewhere.drop();
    }
  });
});
