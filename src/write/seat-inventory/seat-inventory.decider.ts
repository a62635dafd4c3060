import { DomainError } from '../domain-error.js';
import type { Decider } from '../event-store/handle-command.js';
import type { SnapshotCodec } from '../event-store/snapshot-store.js';
import type { SeatInventoryEvent, SeatsReleased } from './seat-inventory.events.js';

/** `maxSeatsPerUser`: MAX_SEATS_PER_USER_PER_EVENT, in the command so that decide stays pure. */
export type ReserveSeats = { type: 'ReserveSeats'; data: { eventId: string; bookingId: string; seatIds: string[]; userId: string; maxSeatsPerUser: number } };
export type ReleaseSeats = { type: 'ReleaseSeats'; data: { eventId: string; bookingId: string; reason: SeatsReleased['data']['reason'] } };
export type CloseSales = { type: 'CloseSales'; data: { eventId: string } };
export type SeatInventoryCommand = ReserveSeats | ReleaseSeats | CloseSales;

/** What deciding and evolving use of a map: a Map, or a draft of one (below). */
type Table<K, V> = { get(key: K): V | undefined; has(key: K): boolean; set(key: K, value: V): unknown; delete(key: K): unknown };

/** The seats of one event and who holds them, as deciding and evolving read it: the state, or a draft of it. */
type InventoryView = {
  /** seat id → the booking that holds it (PENDING or CONFIRMED). */
  holders: Table<string, string>;
  /** booking id → its seats, for releases and idempotent retries. */
  bookings: Table<string, string[]>;
  /** booking id → the user it is for; user id → how many seats their bookings hold (PENDING and CONFIRMED). */
  owners: Table<string, string>;
  seatsOfUser: Table<string, number>;
  closed: boolean;
};
export type SeatInventory = InventoryView & { holders: Map<string, string>; bookings: Map<string, string[]>; owners: Map<string, string>; seatsOfUser: Map<string, number> };

const sameSeats = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

const reserve = ({ data }: ReserveSeats, inventory: InventoryView): SeatInventoryEvent[] => {
  if (inventory.closed) throw new DomainError('not-bookable', 'This event is cancelled; its seats cannot be booked');
  const held = inventory.bookings.get(data.bookingId);
  if (held) {
    // A retried request (same Idempotency-Key) finds its own reservation: nothing to do.
    if (sameSeats(held, data.seatIds)) return [];
    throw new DomainError('unprocessable', 'This Idempotency-Key was used for another request');
  }
  const conflictingSeatIds = data.seatIds.filter((seatId) => inventory.holders.has(seatId));
  if (conflictingSeatIds.length > 0) {
    throw new DomainError('conflict', 'Some of these seats are already taken', { conflictingSeatIds });
  }
  // One account must not hold a venue: what a user holds here counts, whichever booking holds it.
  const { maxSeatsPerUser, ...reserved } = data;
  const holding = inventory.seatsOfUser.get(data.userId) ?? 0;
  if (holding + data.seatIds.length > maxSeatsPerUser) {
    throw new DomainError('conflict', `A buyer may hold at most ${maxSeatsPerUser} seats of an event; you hold ${holding}`, {
      type: 'seat-limit-reached', limit: maxSeatsPerUser, held: holding,
    });
  }
  return [{ type: 'SeatsReserved', data: reserved }];
};

const release = ({ data }: ReleaseSeats, inventory: InventoryView): SeatInventoryEvent[] => {
  const seatIds = inventory.bookings.get(data.bookingId);
  if (!seatIds) return []; // released before, or never held: a retried release changes nothing
  return [{ type: 'SeatsReleased', data: { ...data, seatIds } }];
};

const close = ({ data }: CloseSales, inventory: InventoryView): SeatInventoryEvent[] =>
  inventory.closed ? [] : [{ type: 'SalesClosed', data }];

const decide = (command: SeatInventoryCommand, inventory: InventoryView): SeatInventoryEvent[] => {
  switch (command.type) {
    case 'ReserveSeats':
      return reserve(command, inventory);
    case 'ReleaseSeats':
      return release(command, inventory);
    case 'CloseSales':
      return close(command, inventory);
  }
};

/**
 * Changes the inventory in place: a hot event's seat map has tens of thousands of entries and is
 * updated hundreds of times a second, too big to copy per reservation. Only the seat-inventory
 * service holds this state, and it evolves it only with events that were appended; a batch not yet
 * appended is evolved on a draft (decideBatch).
 */
const evolve = <T extends InventoryView>(state: T, event: SeatInventoryEvent): T => {
  switch (event.type) {
    case 'SeatsReserved': {
      const { bookingId, seatIds, userId } = event.data;
      for (const seatId of seatIds) state.holders.set(seatId, bookingId);
      state.bookings.set(bookingId, seatIds);
      if (userId !== undefined) {
        state.owners.set(bookingId, userId);
        state.seatsOfUser.set(userId, (state.seatsOfUser.get(userId) ?? 0) + seatIds.length);
      }
      return state;
    }
    case 'SeatsReleased': {
      const { bookingId, seatIds } = event.data;
      for (const seatId of seatIds) {
        if (state.holders.get(seatId) === bookingId) state.holders.delete(seatId);
      }
      const userId = state.owners.get(bookingId);
      if (userId !== undefined && state.bookings.has(bookingId)) {
        const left = (state.seatsOfUser.get(userId) ?? 0) - (state.bookings.get(bookingId)?.length ?? 0);
        if (left > 0) state.seatsOfUser.set(userId, left);
        else state.seatsOfUser.delete(userId);
        state.owners.delete(bookingId);
      }
      state.bookings.delete(bookingId);
      return state;
    }
    case 'SalesClosed':
      state.closed = true;
      return state;
  }
};

export const seatInventoryDecider: Decider<SeatInventory, SeatInventoryCommand, SeatInventoryEvent> = {
  initialState: () => ({ holders: new Map(), bookings: new Map(), owners: new Map(), seatsOfUser: new Map(), closed: false }),
  evolve,
  decide,
};

type InventorySnapshot = {
  /** Each booking with its seats and its user (null: reserved before the per-user limit). */
  bookings: [bookingId: string, seatIds: string[], userId: string | null][];
  /** Who holds each seat; null when it is exactly each booking its own seats, as it almost always is. */
  holders: [seatId: string, bookingId: string][] | null;
  seatsOfUser: [userId: string, seats: number][];
  closed: boolean;
};

/** Every booking holds its own seats and no other seat is held: the holders are the bookings read the other way round. */
const heldAsBooked = ({ holders, bookings }: SeatInventory): boolean => {
  let seats = 0;
  for (const [bookingId, seatIds] of bookings) {
    for (const seatId of seatIds) if (holders.get(seatId) !== bookingId) return false;
    seats += seatIds.length;
  }
  return seats === holders.size;
};

/**
 * A hot event's inventory as a snapshot keeps it (#17), exactly: what is left out is what reading
 * puts back as it was. A booking carries its user, and the holders are written out only when they
 * are not simply the bookings' own seats: less than half the bytes of every map written in full,
 * and an instance reads the whole snapshot before its first booking. The order of holders and
 * owners is not kept: they are only ever read by key. Version 1; change it with this shape or with
 * what the state means.
 */
export const seatInventorySnapshot: SnapshotCodec<SeatInventory> = {
  version: 1,
  toSnapshot: (inventory): InventorySnapshot => {
    const { bookings, owners, seatsOfUser, closed } = inventory;
    for (const bookingId of owners.keys()) {
      if (!bookings.has(bookingId)) throw new Error(`booking ${bookingId} has a user and no seats: no snapshot keeps that`);
    }
    return {
      // A booking's seat ids are its event's, never changed: the snapshot may share them.
      bookings: Array.from(bookings, ([bookingId, seatIds]) => [bookingId, seatIds, owners.get(bookingId) ?? null]),
      holders: heldAsBooked(inventory) ? null : [...inventory.holders],
      seatsOfUser: [...seatsOfUser],
      closed,
    };
  },
  fromSnapshot: (json) => {
    const snapshot = json as InventorySnapshot;
    const inventory = seatInventoryDecider.initialState();
    for (const [bookingId, seatIds, userId] of snapshot.bookings) {
      inventory.bookings.set(bookingId, seatIds);
      if (userId !== null) inventory.owners.set(bookingId, userId);
      if (snapshot.holders === null) for (const seatId of seatIds) inventory.holders.set(seatId, bookingId);
    }
    for (const [seatId, bookingId] of snapshot.holders ?? []) inventory.holders.set(seatId, bookingId);
    for (const [userId, seats] of snapshot.seatsOfUser) inventory.seatsOfUser.set(userId, seats);
    inventory.closed = snapshot.closed;
    return inventory;
  },
};

const REMOVED = Symbol('removed');

/** A map's changes kept apart from it: reads see them over the map, which stays as it was. */
class Draft<K, V> implements Table<K, V> {
  private readonly changes = new Map<K, V | typeof REMOVED>();
  constructor(private readonly base: Table<K, V>) {}
  get(key: K): V | undefined {
    const changed = this.changes.get(key);
    return changed === REMOVED ? undefined : this.changes.has(key) ? changed : this.base.get(key);
  }
  has(key: K): boolean {
    return this.changes.has(key) ? this.changes.get(key) !== REMOVED : this.base.has(key);
  }
  set(key: K, value: V): void {
    this.changes.set(key, value);
  }
  delete(key: K): void {
    this.changes.set(key, REMOVED);
  }
}

export type BatchOutcome = { events: SeatInventoryEvent[] } | { error: unknown };

/**
 * Decides several commands against one state, as if each were appended before the next was
 * decided, without changing the state: the batch is appended at once, or not at all. The same
 * decide and evolve as one command at a time, over a draft of the state.
 */
export const decideBatch = (commands: SeatInventoryCommand[], state: SeatInventory): BatchOutcome[] => {
  const draft: InventoryView = {
    holders: new Draft(state.holders), bookings: new Draft(state.bookings), owners: new Draft(state.owners), seatsOfUser: new Draft(state.seatsOfUser), closed: state.closed,
  };
  return commands.map((command) => {
    try {
      const events = decide(command, draft);
      for (const event of events) evolve(draft, event);
      return { events };
    } catch (error) {
      return { error };
    }
  });
};
