import { DomainError } from '../domain-error.js';
import type { BatchOutcome } from '../event-store/command-batcher.js';
import type { Decider } from '../event-store/handle-command.js';
import type { SnapshotCodec } from '../event-store/snapshot-store.js';
import type { SeatType } from '../catalog/venue.events.js';
import type { VenueLayout } from '../catalog/venue-layout.js';
import { SeatAllocator } from './best-available.js';
import type { SeatInventoryEvent, SeatsReleased } from './seat-inventory.events.js';

/** `maxSeatsPerUser`: MAX_SEATS_PER_USER_PER_EVENT, in the command so that decide stays pure. */
export type ReserveSeats = { type: 'ReserveSeats'; data: { eventId: string; bookingId: string; seatIds: string[]; userId: string; maxSeatsPerUser: number } };
/**
 * Best available: the service chooses `quantity` adjacent seats of one of `seatTypes` (in `section`
 * if named), on the inventory as it is when this is decided. `layout`: the event's venue, as the
 * handler read it; `seatType`: what the buyer asked for (null: any type with a price).
 */
export type ReserveBest = {
  type: 'ReserveBest';
  data: {
    eventId: string; bookingId: string; userId: string; maxSeatsPerUser: number;
    quantity: number; seatType: SeatType | null; seatTypes: SeatType[]; section: string | null; layout: VenueLayout;
  };
};
export type ReleaseSeats = { type: 'ReleaseSeats'; data: { eventId: string; bookingId: string; reason: SeatsReleased['data']['reason'] } };
export type CloseSales = { type: 'CloseSales'; data: { eventId: string } };
export type HoldSeats = { type: 'HoldSeats'; data: { eventId: string; holdId: string; seatIds: string[]; reason: string } };
export type ReleaseHold = { type: 'ReleaseHold'; data: { eventId: string; holdId: string } };
export type SeatInventoryCommand = ReserveSeats | ReserveBest | ReleaseSeats | CloseSales | HoldSeats | ReleaseHold;

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
  /** seat id → the organiser's hold that keeps it back; hold id → its seats. */
  held: Table<string, string>;
  holds: Table<string, string[]>;
  closed: boolean;
  /**
   * The index best available chooses from, shared by the state and its drafts: not part of what
   * the events say, only a cache of it for one venue layout, told of every seat evolve changes.
   */
  allocation: { allocator?: SeatAllocator };
};
export type SeatInventory = InventoryView & {
  holders: Map<string, string>; bookings: Map<string, string[]>; owners: Map<string, string>; seatsOfUser: Map<string, number>;
  held: Map<string, string>; holds: Map<string, string[]>;
};

/** Neither a booking nor an organiser's hold has it. */
const isFree = (inventory: InventoryView, seatId: string) => !inventory.holders.has(seatId) && !inventory.held.has(seatId);

/** A 409 naming the seats a booking or a hold has already. */
const refuseTaken = (inventory: InventoryView, seatIds: string[], message: string) => {
  const conflictingSeatIds = seatIds.filter((seatId) => !isFree(inventory, seatId));
  if (conflictingSeatIds.length > 0) throw new DomainError('conflict', message, { conflictingSeatIds });
};

const sameSeats = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/**
 * Refuses every booking of a cancelled event. True when the booking holds seats already and `sameRequest`
 * says they are what this request asked for: a retried request (same Idempotency-Key) finds its own
 * reservation, and there is nothing to do. A 422 when it holds seats for another request.
 */
const alreadyReserved = (inventory: InventoryView, bookingId: string, sameRequest: (held: string[]) => boolean): boolean => {
  if (inventory.closed) throw new DomainError('not-bookable', 'This event is cancelled; its seats cannot be booked');
  const held = inventory.bookings.get(bookingId);
  if (!held) return false;
  if (sameRequest(held)) return true;
  throw new DomainError('unprocessable', 'This Idempotency-Key was used for another request');
};

const reserve = ({ data }: ReserveSeats, inventory: InventoryView): SeatInventoryEvent[] => {
  if (alreadyReserved(inventory, data.bookingId, (held) => sameSeats(held, data.seatIds))) return [];
  refuseTaken(inventory, data.seatIds, 'Some of these seats are already taken');
  const { maxSeatsPerUser, ...reserved } = data;
  checkSeatLimit(inventory, data.userId, data.seatIds.length, maxSeatsPerUser);
  return [{ type: 'SeatsReserved', data: reserved }];
};

/** One account must not hold a venue: what a user holds here counts, whichever booking holds it. */
const checkSeatLimit = (inventory: InventoryView, userId: string, adding: number, maxSeatsPerUser: number) => {
  const holding = inventory.seatsOfUser.get(userId) ?? 0;
  if (holding + adding > maxSeatsPerUser) {
    throw new DomainError('conflict', `A buyer may hold at most ${maxSeatsPerUser} seats of an event; you hold ${holding}`, {
      type: 'seat-limit-reached', limit: maxSeatsPerUser, held: holding,
    });
  }
};

/** The inventory's index for this layout: built once per state and layout, then kept up to date by evolve. */
const allocatorFor = (inventory: InventoryView, layout: VenueLayout): SeatAllocator => {
  const { allocation } = inventory;
  if (allocation.allocator?.layout !== layout) allocation.allocator = new SeatAllocator(layout, (seatId) => isFree(inventory, seatId));
  return allocation.allocator;
};

const reserveBest = ({ data }: ReserveBest, inventory: InventoryView): SeatInventoryEvent[] => {
  const { eventId, bookingId, userId, quantity, seatType, seatTypes, section, layout, maxSeatsPerUser } = data;
  // A retry finds the seats chosen the first time (the booking's request hash tells bodies apart once it is recorded).
  if (alreadyReserved(inventory, bookingId, (held) => held.length === quantity)) return [];
  checkSeatLimit(inventory, userId, quantity, maxSeatsPerUser);
  const allocator = allocatorFor(inventory, layout);
  const request = { quantity, seatTypes, section: section ?? undefined };
  const seatIds = allocator.choose(request);
  if (!seatIds) {
    const available = allocator.freeSeats(request);
    const what = `${seatType ?? 'any'} seat${quantity > 1 ? 's' : ''}${section !== null ? ` in section "${section}"` : ''}`;
    throw new DomainError('conflict', `No ${quantity} adjacent ${what} are available (${available} free)`, { type: 'not-enough-seats', available });
  }
  return [{ type: 'SeatsReserved', data: { eventId, bookingId, seatIds, userId, bestAvailable: { quantity, seatType, section } } }];
};

const hold = ({ data }: HoldSeats, inventory: InventoryView): SeatInventoryEvent[] => {
  if (inventory.closed) throw new DomainError('not-bookable', 'This event is cancelled; its seats can no longer be held');
  const earlier = inventory.holds.get(data.holdId);
  if (earlier) {
    if (sameSeats(earlier, data.seatIds)) return [];
    throw new DomainError('unprocessable', 'This hold exists already with other seats');
  }
  refuseTaken(inventory, data.seatIds, 'Some of these seats are in an active booking or held already');
  return [{ type: 'OrganiserHoldPlaced', data }];
};

const releaseHold = ({ data }: ReleaseHold, inventory: InventoryView): SeatInventoryEvent[] => {
  const seatIds = inventory.holds.get(data.holdId);
  if (!seatIds) throw new DomainError('not-found', 'No such hold (or it was released)');
  return [{ type: 'OrganiserHoldReleased', data: { ...data, seatIds } }];
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
    case 'ReserveBest':
      return reserveBest(command, inventory);
    case 'HoldSeats':
      return hold(command, inventory);
    case 'ReleaseHold':
      return releaseHold(command, inventory);
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
  const { allocator } = state.allocation;
  switch (event.type) {
    case 'SeatsReserved': {
      const { bookingId, seatIds, userId } = event.data;
      for (const seatId of seatIds) state.holders.set(seatId, bookingId);
      if (allocator) for (const seatId of seatIds) allocator.update(seatId, false);
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
        allocator?.update(seatId, isFree(state, seatId));
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
    case 'OrganiserHoldPlaced': {
      const { holdId, seatIds } = event.data;
      for (const seatId of seatIds) state.held.set(seatId, holdId);
      state.holds.set(holdId, seatIds);
      if (allocator) for (const seatId of seatIds) allocator.update(seatId, false);
      return state;
    }
    case 'OrganiserHoldReleased': {
      const { holdId, seatIds } = event.data;
      for (const seatId of seatIds) {
        if (state.held.get(seatId) === holdId) state.held.delete(seatId);
        allocator?.update(seatId, isFree(state, seatId));
      }
      state.holds.delete(holdId);
      return state;
    }
  }
};

export const seatInventoryDecider: Decider<SeatInventory, SeatInventoryCommand, SeatInventoryEvent> = {
  initialState: () => ({
    holders: new Map(), bookings: new Map(), owners: new Map(), seatsOfUser: new Map(), held: new Map(), holds: new Map(), closed: false, allocation: {},
  }),
  evolve,
  decide,
};

type InventorySnapshot = {
  /** Each booking with its seats and its user (null: reserved before the per-user limit). */
  bookings: [bookingId: string, seatIds: string[], userId: string | null][];
  /** Who holds each seat; null when it is exactly each booking its own seats, as it almost always is. */
  holders: [seatId: string, bookingId: string][] | null;
  seatsOfUser: [userId: string, seats: number][];
  /** The organiser's holds and their seats; `held` like `holders`, null when it is simply each hold's own seats. */
  holds: [holdId: string, seatIds: string[]][];
  held: [seatId: string, holdId: string][] | null;
  closed: boolean;
};

/** Each owner has its own seats and no other seat is had: `bySeat` is `byOwner` read the other way round. */
const readBackwards = (bySeat: Map<string, string>, byOwner: Map<string, string[]>): boolean => {
  let seats = 0;
  for (const [owner, seatIds] of byOwner) {
    for (const seatId of seatIds) if (bySeat.get(seatId) !== owner) return false;
    seats += seatIds.length;
  }
  return seats === bySeat.size;
};

/**
 * A hot event's inventory as a snapshot keeps it (#17), exactly: what is left out is what reading
 * puts back as it was. A booking carries its user, and the holders are written out only when they
 * are not simply the bookings' own seats: less than half the bytes of every map written in full,
 * and an instance reads the whole snapshot before its first booking. The order of holders and
 * owners is not kept: they are only ever read by key. Version 2 (#19 added the organiser's holds);
 * change it with this shape or with what the state means. The best-available index is not kept:
 * it is built again from the seats on the first request that needs it.
 */
export const seatInventorySnapshot: SnapshotCodec<SeatInventory> = {
  version: 2,
  toSnapshot: (inventory): InventorySnapshot => {
    const { bookings, owners, seatsOfUser, holds, closed } = inventory;
    for (const bookingId of owners.keys()) {
      if (!bookings.has(bookingId)) throw new Error(`booking ${bookingId} has a user and no seats: no snapshot keeps that`);
    }
    return {
      // A booking's seat ids are its event's, never changed: the snapshot may share them.
      bookings: Array.from(bookings, ([bookingId, seatIds]) => [bookingId, seatIds, owners.get(bookingId) ?? null]),
      holders: readBackwards(inventory.holders, bookings) ? null : [...inventory.holders],
      seatsOfUser: [...seatsOfUser],
      holds: [...holds],
      held: readBackwards(inventory.held, holds) ? null : [...inventory.held],
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
    for (const [holdId, seatIds] of snapshot.holds) {
      inventory.holds.set(holdId, seatIds);
      if (snapshot.held === null) for (const seatId of seatIds) inventory.held.set(seatId, holdId);
    }
    for (const [seatId, holdId] of snapshot.held ?? []) inventory.held.set(seatId, holdId);
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

/**
 * Decides several commands against one state, as if each were appended before the next was
 * decided, without changing the state: the batch is appended at once, or not at all. The same
 * decide and evolve as one command at a time, over a draft of the state. The best-available index
 * is the one thing shared: it follows the draft, and is to be forgotten (forgetDraft) if the batch
 * is not appended.
 */
export const decideBatch = (commands: SeatInventoryCommand[], state: SeatInventory): BatchOutcome<SeatInventoryEvent>[] => {
  const draft: InventoryView = {
    holders: new Draft(state.holders), bookings: new Draft(state.bookings), owners: new Draft(state.owners), seatsOfUser: new Draft(state.seatsOfUser),
    held: new Draft(state.held), holds: new Draft(state.holds), closed: state.closed, allocation: state.allocation,
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

/** The batch decided on this state was not appended: the best-available index, which followed it, is built again when next needed. */
export const forgetDraft = (state: SeatInventory): void => {
  state.allocation.allocator = undefined;
};
