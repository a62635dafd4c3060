import { Inject, Injectable } from '@nestjs/common';
import { Environment } from '../../config.js';
import { EVENT_STORE, type EventStore, type MessageContext, type Position, WrongExpectedRevisionError } from '../event-store/event-store.port.js';
import { SnapshotStore } from '../event-store/snapshot-store.js';
import { StreamCache } from '../event-store/stream-cache.js';
import { decideBatch, forgetDraft, type SeatInventory, type SeatInventoryCommand, seatInventoryDecider, seatInventorySnapshot } from './seat-inventory.decider.js';
import { type SeatInventoryEvent, seatInventoryStream } from './seat-inventory.events.js';

type Waiting = {
  command: SeatInventoryCommand;
  context: MessageContext;
  resolve: (result: { events: SeatInventoryEvent[]; position: Position | undefined }) => void;
  reject: (error: unknown) => void;
};

/** The commands waiting for one event's inventory, and whether a batch of them is under way. */
type Queue = { stream: string; waiting: Waiting[]; running: boolean };

const MAX_BATCH = 256;
const MAX_ATTEMPTS = 8;

/**
 * The hot path of an on-sale. Thousands of clients reserving seats of one event must not each
 * reload the event's whole inventory and queue for its stream one by one: this service keeps
 * each inventory in memory, and the commands that arrive while an append is in flight wait and
 * then go together, decided one after another on the same state and appended in one call.
 *
 * Correctness does not depend on the memory: every batch first reads what other instances
 * appended since, and appends at the revision it decided on. If another instance got there first
 * the append fails, and the batch is decided again on the newer state.
 */
@Injectable()
export class SeatInventoryService {
  private readonly queues = new Map<string, Queue>();
  private readonly inventories: StreamCache<SeatInventory, SeatInventoryCommand, SeatInventoryEvent>;

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore, snapshots: SnapshotStore, env: Environment) {
    // A hot event's stream grows by every reservation and release: an instance that starts begins at its latest snapshot.
    const everyEvents = env.SNAPSHOT_EVERY_EVENTS;
    this.inventories = new StreamCache(store, seatInventoryDecider, {
      snapshots: everyEvents > 0 ? { store: snapshots, codec: seatInventorySnapshot, everyEvents } : undefined,
    });
  }

  execute(command: SeatInventoryCommand, context: MessageContext): Promise<{ events: SeatInventoryEvent[]; position: Position | undefined }> {
    const stream = seatInventoryStream(command.data.eventId);
    let queue = this.queues.get(stream);
    if (!queue) this.queues.set(stream, (queue = { stream, waiting: [], running: false }));
    return new Promise((resolve, reject) => {
      queue.waiting.push({ command, context, resolve, reject });
      void this.drain(queue);
    });
  }

  private async drain(queue: Queue): Promise<void> {
    if (queue.running) return;
    queue.running = true;
    try {
      while (queue.waiting.length > 0) await this.decideAndAppend(queue.stream, queue.waiting.splice(0, MAX_BATCH));
    } finally {
      queue.running = false;
      this.queues.delete(queue.stream);
    }
  }

  private async decideAndAppend(stream: string, batch: Waiting[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let decidedOn: SeatInventory | undefined;
      try {
        // The state in memory, plus whatever other instances appended since.
        const inventory = await this.inventories.load(stream);
        decidedOn = inventory.state;
        const outcomes = decideBatch(
          batch.map((waiting) => waiting.command),
          inventory.state,
        );
        const events = outcomes.flatMap((outcome) => ('events' in outcome ? outcome.events : []));
        // Where the inventory is once this batch is in: the batch's own append, or the state it was decided on.
        let position = inventory.position;
        if (events.length > 0) {
          const contexts = batch.flatMap((waiting, i) => {
            const outcome = outcomes[i];
            return 'events' in outcome ? outcome.events.map(() => waiting.context) : [];
          });
          const appended = await this.store.appendToStream(stream, events, {
            expectedRevision: inventory.revision === 'no_stream' ? 'no_stream' : inventory.revision,
            context: contexts,
          });
          this.inventories.record(stream, events, appended.nextRevision, appended.position);
          position = appended.position;
        }
        batch.forEach((waiting, i) => {
          const outcome = outcomes[i];
          if ('events' in outcome) waiting.resolve({ events: outcome.events, position });
          else waiting.reject(outcome.error);
        });
        return;
      } catch (error) {
        if (decidedOn) forgetDraft(decidedOn);
        // Another instance appended first: read what it wrote and decide the batch again.
        if (error instanceof WrongExpectedRevisionError && attempt < MAX_ATTEMPTS) continue;
        for (const waiting of batch) waiting.reject(error);
        return;
      }
    }
  }

  /** Starts reading the event's inventory if this instance does not hold it yet: the next command's load shares the read. */
  preload(eventId: string): void {
    this.inventories.preload(seatInventoryStream(eventId));
  }

  /** The seats a booking holds now (best available's choice, found again by a retried request). */
  async seatsOf(eventId: string, bookingId: string): Promise<string[] | undefined> {
    const { state } = await this.inventories.load(seatInventoryStream(eventId));
    return state.bookings.get(bookingId);
  }

  /** The bookings that hold seats of the event now. */
  async bookingsHolding(eventId: string): Promise<string[]> {
    const { state } = await this.inventories.load(seatInventoryStream(eventId));
    return [...state.bookings.keys()];
  }
}
