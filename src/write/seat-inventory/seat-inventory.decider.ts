import { DomainError } from '../domain-error.js';
import type { Decider } from '../event-store/handle-command.js';

/**
 * The seats of one event and who holds them: the consistency boundary of "a seat is never in two
 * active bookings". Every reservation and release of an event's seats is appended to this one
 * stream at the revision its decision was made on, so two writers can never both take a seat.
 */
export type SeatsReserved = { type: 'SeatsReserved'; data: { eventId: string; bookingId: string; seatIds: string[] } };
export type SeatsReleased = {
  type: 'SeatsReleased';
  data: { eventId: string; bookingId: string; seatIds: string[]; reason: 'booking-cancelled' | 'booking-not-recorded' };
};
/** The event was cancelled: no seat of it can be reserved any more. */
export type SalesClosed = { type: 'SalesClosed'; data: { eventId: string } };
export type SeatInventoryEvent = SeatsReserved | SeatsReleased | SalesClosed;

export type ReserveSeats = { type: 'ReserveSeats'; data: { eventId: string; bookingId: string; seatIds: string[] } };
export type ReleaseSeats = { type: 'ReleaseSeats'; data: { eventId: string; bookingId: string; reason: SeatsReleased['data']['reason'] } };
export type CloseSales = { type: 'CloseSales'; data: { eventId: string } };
export type SeatInventoryCommand = ReserveSeats | ReleaseSeats | CloseSales;

export type SeatInventory = {
  /** seat id → the booking that holds it (PENDING or CONFIRMED). */
  holders: Map<string, string>;
  /** booking id → its seats, for releases and idempotent retries. */
  bookings: Map<string, string[]>;
  closed: boolean;
};

export const seatInventoryStream = (eventId: string) => `seats-${eventId}`;

/** What deciding needs to know of an inventory: plain state, or state plus a batch not yet appended. */
type InventoryView = { isHeld: (seatId: string) => boolean; seatsOf: (bookingId: string) => string[] | undefined; closed: boolean };

const viewOf = (state: SeatInventory): InventoryView => ({
  isHeld: (seatId) => state.holders.has(seatId),
  seatsOf: (bookingId) => state.bookings.get(bookingId),
  closed: state.closed,
});

const sameSeats = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

const reserve = ({ data }: ReserveSeats, inventory: InventoryView): SeatInventoryEvent[] => {
  if (inventory.closed) throw new DomainError('not-bookable', 'This event is cancelled; its seats cannot be booked');
  const held = inventory.seatsOf(data.bookingId);
  if (held) {
    // A retried request (same Idempotency-Key) finds its own reservation: nothing to do.
    if (sameSeats(held, data.seatIds)) return [];
    throw new DomainError('unprocessable', 'This Idempotency-Key was used for another request');
  }
  const conflictingSeatIds = data.seatIds.filter((seatId) => inventory.isHeld(seatId));
  if (conflictingSeatIds.length > 0) {
    throw new DomainError('conflict', 'Some of these seats are already taken', { conflictingSeatIds });
  }
  return [{ type: 'SeatsReserved', data }];
};

const release = ({ data }: ReleaseSeats, inventory: InventoryView): SeatInventoryEvent[] => {
  const seatIds = inventory.seatsOf(data.bookingId);
  if (!seatIds) return []; // released before, or never held: a retried release changes nothing
  return [{ type: 'SeatsReleased', data: { ...data, seatIds } }];
};

const close = ({ data }: CloseSales, inventory: InventoryView): SeatInventoryEvent[] =>
  inventory.closed ? [] : [{ type: 'SalesClosed', data }];

const decideOn = (command: SeatInventoryCommand, inventory: InventoryView): SeatInventoryEvent[] => {
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
 * Evolve changes the state in place: a hot event's seat map has tens of thousands of entries and
 * is updated hundreds of times a second, too big to copy per reservation. Only the seat-inventory
 * service holds this state, and it evolves it only with events that were appended.
 */
export const seatInventoryDecider: Decider<SeatInventory, SeatInventoryCommand, SeatInventoryEvent> = {
  initialState: () => ({ holders: new Map(), bookings: new Map(), closed: false }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'SeatsReserved':
        for (const seatId of event.data.seatIds) state.holders.set(seatId, event.data.bookingId);
        state.bookings.set(event.data.bookingId, event.data.seatIds);
        return state;
      case 'SeatsReleased':
        for (const seatId of event.data.seatIds) {
          if (state.holders.get(seatId) === event.data.bookingId) state.holders.delete(seatId);
        }
        state.bookings.delete(event.data.bookingId);
        return state;
      case 'SalesClosed':
        state.closed = true;
        return state;
    }
  },
  decide: (command, state) => decideOn(command, viewOf(state)),
};

export type BatchOutcome = { events: SeatInventoryEvent[] } | { error: unknown };

/**
 * Decides several commands against one state, as if each were appended before the next was
 * decided, without changing the state: the batch is appended at once, or not at all.
 */
export const decideBatch = (commands: SeatInventoryCommand[], state: SeatInventory): BatchOutcome[] => {
  // The batch's own changes, over the untouched state (null: released in this batch).
  const holders = new Map<string, string | null>();
  const bookings = new Map<string, string[] | null>();
  const inventory: InventoryView = {
    isHeld: (seatId) => (holders.has(seatId) ? holders.get(seatId) !== null : state.holders.has(seatId)),
    seatsOf: (bookingId) => (bookings.has(bookingId) ? (bookings.get(bookingId) ?? undefined) : state.bookings.get(bookingId)),
    closed: state.closed,
  };
  return commands.map((command) => {
    try {
      const events = decideOn(command, inventory);
      for (const event of events) {
        if (event.type === 'SeatsReserved') {
          for (const seatId of event.data.seatIds) holders.set(seatId, event.data.bookingId);
          bookings.set(event.data.bookingId, event.data.seatIds);
        } else if (event.type === 'SeatsReleased') {
          for (const seatId of event.data.seatIds) holders.set(seatId, null);
          bookings.set(event.data.bookingId, null);
        } else {
          inventory.closed = true;
        }
      }
      return { events };
    } catch (error) {
      return { error };
    }
  });
};
