import { Inject, Injectable } from '@nestjs/common';
import { Environment } from '../../config.js';
import { CommandBatcher } from '../event-store/command-batcher.js';
import { EVENT_STORE, type EventStore, type MessageContext, type Position } from '../event-store/event-store.port.js';
import { SnapshotStore } from '../event-store/snapshot-store.js';
import { StreamCache } from '../event-store/stream-cache.js';
import { decideBatch, forgetDraft, type SeatInventory, type SeatInventoryCommand, seatInventoryDecider, seatInventorySnapshot } from './seat-inventory.decider.js';
import { type SeatInventoryEvent, seatInventoryStream } from './seat-inventory.events.js';

/**
 * The hot path of an on-sale. Thousands of clients reserving seats of one event must not each
 * reload the event's whole inventory and queue for its stream one by one: the inventory stays in
 * memory, and the commands that arrive while an append is in flight are decided together and
 * appended in one call (CommandBatcher), each batch at the revision it was decided on.
 */
@Injectable()
export class SeatInventoryService {
  private readonly inventories: StreamCache<SeatInventory, SeatInventoryCommand, SeatInventoryEvent>;
  private readonly batcher: CommandBatcher<SeatInventory, SeatInventoryCommand, SeatInventoryEvent>;

  constructor(@Inject(EVENT_STORE) store: EventStore, snapshots: SnapshotStore, env: Environment) {
    // A hot event's stream grows by every reservation and release: an instance that starts begins at its latest snapshot.
    const everyEvents = env.SNAPSHOT_EVERY_EVENTS;
    this.inventories = new StreamCache(store, seatInventoryDecider, {
      snapshots: everyEvents > 0 ? { store: snapshots, codec: seatInventorySnapshot, everyEvents } : undefined,
    });
    this.batcher = new CommandBatcher(store, this.inventories, { decideBatch, forgetDraft });
  }

  async execute(command: SeatInventoryCommand, context: MessageContext): Promise<{ events: SeatInventoryEvent[]; position: Position | undefined }> {
    const { events, position } = await this.batcher.execute(seatInventoryStream(command.data.eventId), command, context);
    return { events, position };
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
