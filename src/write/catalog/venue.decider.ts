import { DomainError } from '../domain-error.js';
import type { Decider } from '../event-store/handle-command.js';
import type { Seat, VenueCreated, VenueEvent } from './venue.events.js';

export type CreateVenue = { type: 'CreateVenue'; data: VenueCreated['data'] };
export type AddSeats = { type: 'AddSeats'; data: { venueId: string; seats: Seat[] } };
export type VenueCommand = CreateVenue | AddSeats;

export type Venue =
  | { status: 'None' }
  | { status: 'Open'; capacity: number | null; seats: Map<string, Seat>; positions: Set<string> };

/** Where a seat is: unique per venue. */
const positionOf = (seat: Seat) => `${seat.section ?? ''}\u0000${seat.row}\u0000${seat.number}`;

const create = ({ data }: CreateVenue, state: Venue): VenueEvent[] => {
  if (state.status !== 'None') throw new DomainError('conflict', 'This venue exists already');
  return [{ type: 'VenueCreated', data }];
};

const addSeats = ({ data }: AddSeats, state: Venue): VenueEvent[] => {
  if (state.status === 'None') throw new DomainError('not-found', 'No such venue');
  const seen = new Set<string>();
  const conflictingSeats = data.seats.filter((seat) => {
    const position = positionOf(seat);
    const taken = state.positions.has(position) || seen.has(position);
    seen.add(position);
    return taken;
  });
  if (conflictingSeats.length > 0) {
    throw new DomainError('conflict', 'A seat already exists at some of these positions', {
      conflictingSeats: conflictingSeats.map(({ section = '', row, number }) => ({ section, row, number })),
    });
  }
  if (state.capacity !== null && state.seats.size + data.seats.length > state.capacity) {
    throw new DomainError('unprocessable', `The venue holds ${state.capacity} seats; it has ${state.seats.size} and this adds ${data.seats.length}`);
  }
  return [{ type: 'SeatsAdded', data }];
};

/** A 422 naming the seats the venue does not have (a booking's or a hold's). */
export const refuseUnknownSeats = (venue: Venue, seatIds: string[]): void => {
  const unknownSeatIds = seatIds.filter((seatId) => venue.status === 'None' || !venue.seats.has(seatId));
  if (unknownSeatIds.length > 0) throw new DomainError('unprocessable', "Some of these seats are not in the event's venue", { unknownSeatIds });
};

/** Seats are added, never changed: evolve extends the maps in place (a venue may hold 50,000 seats). */
export const venueDecider: Decider<Venue, VenueCommand, VenueEvent> = {
  initialState: () => ({ status: 'None' }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'VenueCreated':
        return { status: 'Open', capacity: event.data.capacity, seats: new Map(), positions: new Set() };
      case 'SeatsAdded':
        if (state.status === 'None') return state;
        for (const seat of event.data.seats) {
          state.seats.set(seat.seatId, seat);
          state.positions.add(positionOf(seat));
        }
        return state;
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'CreateVenue':
        return create(command, state);
      case 'AddSeats':
        return addSeats(command, state);
    }
  },
};
