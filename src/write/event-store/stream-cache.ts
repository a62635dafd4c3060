import { asDecided, type Decider, type Loaded } from './handle-command.js';
import type { Event, EventStore, Position } from './event-store.port.js';

/**
 * Decider states kept in memory between commands, brought up to date with one read of what was
 * appended since (by this instance or any other). A venue with 50,000 seats, or a hot event's
 * seat inventory, is folded once, not on every command.
 */
export class StreamCache<State, Command, E extends Event> {
  private readonly entries = new Map<string, Loaded<State> & { lastUsed: number }>();
  private readonly reading = new Map<string, Promise<Loaded<State>>>();

  constructor(
    private readonly store: EventStore,
    private readonly decider: Decider<State, Command, E>,
    private readonly capacity = 1_000,
  ) {}

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

  private async readSince(stream: string): Promise<Loaded<State>> {
    const entry = this.entryOf(stream);
    const fromRevision = entry.revision === 'no_stream' ? 0n : entry.revision + 1n;
    const { events } = await this.store.readStream(stream, { fromRevision });
    for (const event of events) {
      // Two loads of one stream may overlap: an event is folded in once, in order.
      if (entry.revision !== 'no_stream' && event.revision <= entry.revision) continue;
      entry.state = this.decider.evolve(entry.state, asDecided<E>(event));
      entry.revision = event.revision;
      entry.position = event.position;
    }
    entry.lastUsed = Date.now();
    return entry;
  }

  /** Records what this instance appended, so the next load does not read it back. */
  record(stream: string, events: E[], revision: bigint, position: Position): void {
    const entry = this.entryOf(stream);
    const first = revision - BigInt(events.length) + 1n;
    if ((entry.revision === 'no_stream' ? -1n : entry.revision) !== first - 1n) return; // not next in line: the next load reads it
    entry.state = events.reduce(this.decider.evolve, entry.state);
    entry.revision = revision;
    entry.position = position;
  }

  private entryOf(stream: string) {
    let entry = this.entries.get(stream);
    if (!entry) {
      if (this.entries.size >= this.capacity) this.evictIdlest();
      entry = { state: this.decider.initialState(), revision: 'no_stream', position: undefined, lastUsed: Date.now() };
      this.entries.set(stream, entry);
    }
    return entry;
  }

  private evictIdlest(): void {
    let idlest: string | undefined;
    let oldest = Infinity;
    for (const [stream, entry] of this.entries) {
      if (entry.lastUsed < oldest) [idlest, oldest] = [stream, entry.lastUsed];
    }
    if (idlest !== undefined) this.entries.delete(idlest);
  }
}
