import { Logger } from '@nestjs/common';
import { asDecided, type Decider, type Loaded } from './handle-command.js';
import type { Event, EventStore, Position, Recorded } from './event-store.port.js';
import type { SnapshotCodec, SnapshotStore } from './snapshot-store.js';

/** Where a cache keeps snapshots of its states, how it writes them, and every how many events. */
export type Snapshots<State> = { store: SnapshotStore; codec: SnapshotCodec<State>; everyEvents: number };

type Entry<State> = Loaded<State> & {
  /** The revision of the snapshot this state started from or last saved (-1n: none); unset until the snapshot store was asked. */
  snapshotAt?: bigint;
};

/**
 * Decider states kept in memory between commands, brought up to date with one read of what was
 * appended since (by this instance or any other). A venue with 50,000 seats, or a hot event's
 * seat inventory, is folded once, not on every command. With `snapshots`, a state that is not in
 * memory yet starts from its stream's latest snapshot, so an instance that starts reads only the
 * events after it, and a state is saved again every `everyEvents` events.
 */
export class StreamCache<State, Command, E extends Event> {
  private readonly logger = new Logger(StreamCache.name);
  private readonly entries = new Map<string, Entry<State>>();
  private readonly reading = new Map<string, Promise<Loaded<State>>>();
  /** Streams whose snapshot is being saved: one save at a time per stream. */
  private readonly saving = new Set<string>();
  private readonly capacity: number;
  private readonly snapshots: Snapshots<State> | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly decider: Decider<State, Command, E>,
    { capacity = 1_000, snapshots }: { capacity?: number; snapshots?: Snapshots<State> } = {},
  ) {
    this.capacity = capacity;
    this.snapshots = snapshots;
  }

  /**
   * The stream's state as of now: what was cached, plus what was appended since. Callers that ask
   * while a read of the stream is under way share that read: in an on-sale every booking attempt
   * loads the event and its venue, thousands of reads a second of streams that do not change. A
   * shared read may have started up to one round trip before a caller asked; that is safe, since
   * what a caller decides on it is appended to another stream, after another round trip at least
   * (and a cancelled event's seat inventory refuses reservations by itself, at its own revision). Appends to the stream itself still carry the revision they were
   * decided on, and fail if stale.
   */
  load(stream: string): Promise<Loaded<State>> {
    let reading = this.reading.get(stream);
    if (!reading) {
      reading = this.readSince(stream).finally(() => this.reading.delete(stream));
      this.reading.set(stream, reading);
    }
    return reading;
  }

  /**
   * Starts loading a state this cache does not hold yet, for a load soon after to share (or to find
   * in memory). A state it holds is left alone; a failed read is the next load's to report.
   */
  preload(stream: string): void {
    if (!this.entries.has(stream)) this.load(stream).catch(() => undefined);
  }

  private async readSince(stream: string): Promise<Loaded<State>> {
    const entry = this.entryOf(stream);
    const fromRevision = entry.revision === 'no_stream' ? 0n : entry.revision + 1n;
    const events =
      this.snapshots && entry.snapshotAt === undefined
        ? await this.readFromSnapshot(stream, entry, this.snapshots)
        : (await this.store.readStream(stream, { fromRevision })).events;
    for (const event of events) {
      // Two loads of one stream may overlap: an event is folded in once, in order.
      if (entry.revision !== 'no_stream' && event.revision <= entry.revision) continue;
      entry.state = this.decider.evolve(entry.state, asDecided<E>(event));
      entry.revision = event.revision;
      entry.position = event.position;
    }
    this.snapshotIfDue(stream, entry);
    return entry;
  }

  /**
   * A state's first read: its snapshot's state put in `entry`, and the events after it; or, with
   * no snapshot the log bears out, the whole stream. The snapshot's own last event is read again
   * and must have the chain hash the snapshot names: a log restored from an older backup may end
   * before it, or hold another history from there on, and then the snapshot is ignored and removed.
   */
  private async readFromSnapshot(stream: string, entry: Entry<State>, { store, codec }: Snapshots<State>): Promise<Recorded[]> {
    const snapshot = await store.load(stream, codec.version).catch((error: Error) => {
      this.logger.warn(`Reading all of ${stream}: its snapshot could not be read (${error.message})`);
      return undefined;
    });
    const readAll = async () => {
      const { events } = await this.store.readStream(stream);
      entry.snapshotAt = -1n;
      return events;
    };
    if (!snapshot) return readAll();
    const [last, ...after] = (await this.store.readStream(stream, { fromRevision: snapshot.revision })).events;
    if (last?.revision !== snapshot.revision || last.metadata.hash !== snapshot.lastHash) {
      this.logger.warn(`Ignoring the snapshot of ${stream} at revision ${snapshot.revision}: the log ${last ? 'holds another event there' : 'ends before it'}`);
      // Gone before the state read next can be saved: a save that came first would find the later
      // revision in place and keep it, and the discard would then leave no snapshot at all.
      await store.discard(stream, snapshot).catch((error: Error) => this.logger.warn(`The contradicted snapshot of ${stream} stays: ${error.message}`));
      return readAll();
    }
    // This instance's own append may have been recorded meanwhile (a new stream's first): the later state wins.
    if (entry.revision === 'no_stream' || entry.revision < snapshot.revision) {
      entry.state = codec.fromSnapshot(snapshot.state);
      entry.revision = last.revision;
      entry.position = last.position;
    }
    entry.snapshotAt = snapshot.revision;
    return after;
  }

  /**
   * Records what this instance appended, so the next load does not read it back; answers the state
   * now in memory (without these events only if another load's events came first: the next load reads them).
   */
  record(stream: string, events: E[], revision: bigint, position: Position): State {
    const entry = this.entryOf(stream);
    const first = revision - BigInt(events.length) + 1n;
    if ((entry.revision === 'no_stream' ? -1n : entry.revision) !== first - 1n) return entry.state; // not next in line
    entry.state = events.reduce(this.decider.evolve, entry.state);
    entry.revision = revision;
    entry.position = position;
    this.snapshotIfDue(stream, entry);
    return entry.state;
  }

  /**
   * Saves the state once it is `everyEvents` past its last snapshot, off the command's path: the
   * command does not wait for the save, a failed save is a warning (and tried again as many events
   * later), and a stream has one save under way at most.
   */
  private snapshotIfDue(stream: string, entry: Entry<State>): void {
    if (!this.snapshots || entry.revision === 'no_stream' || this.saving.has(stream)) return;
    if (entry.revision - (entry.snapshotAt ?? -1n) < BigInt(this.snapshots.everyEvents)) return;
    const revision = entry.revision;
    entry.snapshotAt = revision;
    this.saving.add(stream);
    this.save(stream, entry.state, revision, this.snapshots)
      .catch((error: Error) => this.logger.warn(`No snapshot of ${stream} at revision ${revision}: ${error.message}`))
      .finally(() => this.saving.delete(stream));
  }

  private async save(stream: string, current: State, revision: bigint, { store, codec }: Snapshots<State>): Promise<void> {
    // Before the first await: the state is evolved in place by the next event.
    const state = codec.toSnapshot(current);
    // The chain hash of the event the state ends with, as the log answers it, for loads to check against.
    const [last] = (await this.store.readStream(stream, { fromRevision: revision })).events;
    if (last?.revision !== revision) throw new Error(`the log does not hold revision ${revision}`);
    await store.save(stream, codec.version, { revision, lastHash: last.metadata.hash, state });
  }

  /** The stream's entry, made the most recently used: the map's order is the order of use, so the first entry is the idlest. */
  private entryOf(stream: string) {
    let entry = this.entries.get(stream);
    if (entry) {
      this.entries.delete(stream);
    } else {
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
      entry = { state: this.decider.initialState(), revision: 'no_stream', position: undefined };
    }
    this.entries.set(stream, entry);
    return entry;
  }
}
