import { DomainError } from '../domain-error.js';
import type { Decider } from '../event-store/handle-command.js';
import type { BookingEvent, BookingPlaced, CancellationReason } from './booking.events.js';

// Anything random or time-based arrives inside the command, so decide stays a pure function.
export type PlaceBooking = { type: 'PlaceBooking'; data: BookingPlaced['data'] };
export type ConfirmBooking = { type: 'ConfirmBooking'; data: { bookingId: string; paymentId: string; ticketReference: string; now: string } };
/** By its owner; `eventStartsAt` is the start of the booking's event (null: not known), `now` the time of asking. */
export type CancelBooking = { type: 'CancelBooking'; data: { bookingId: string; userId: string; eventStartsAt: string | null; now: string } };
export type ExpireBooking = { type: 'ExpireBooking'; data: { bookingId: string; now: string } };
export type CancelForEvent = { type: 'CancelForEvent'; data: { bookingId: string } };
export type BookingCommand = PlaceBooking | ConfirmBooking | CancelBooking | ExpireBooking | CancelForEvent;

/** The one list of a booking's statuses: the read model's enum and the query API take it from here. */
export const BOOKING_STATUSES = ['PENDING', 'CONFIRMED', 'CANCELLED'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];
export type Booking =
  | { status: 'None' }
  | {
      status: BookingStatus;
      placed: BookingPlaced['data'];
      ticketReference: string | null;
      paymentId: string | null;
      cancellation: CancellationReason | null;
    };

const place = ({ data }: PlaceBooking, state: Booking): BookingEvent[] => {
  if (state.status === 'None') return [{ type: 'BookingPlaced', data }];
  // The same Idempotency-Key again: the same body changes nothing, another body is refused.
  if (state.placed.userId === data.userId && state.placed.requestHash === data.requestHash) return [];
  throw new DomainError('unprocessable', 'This Idempotency-Key was used for another request');
};

const confirm = ({ data }: ConfirmBooking, state: Booking): BookingEvent[] => {
  if (state.status === 'None') throw new DomainError('not-found', 'No such booking');
  if (state.status === 'CONFIRMED' && state.paymentId === data.paymentId) return [];
  // A payment that arrives too late never takes the seats back: the caller refunds it.
  if (state.status !== 'PENDING') throw new DomainError('conflict', `The booking is ${state.status}; it cannot be confirmed`);
  if (Date.parse(data.now) >= Date.parse(state.placed.expiresAt)) {
    throw new DomainError('conflict', 'The booking hold has expired; it cannot be confirmed');
  }
  return [{ type: 'BookingConfirmed', data: { bookingId: data.bookingId, paymentId: data.paymentId, ticketReference: data.ticketReference } }];
};

const cancel = ({ data }: CancelBooking, state: Booking): BookingEvent[] => {
  // Someone else's booking is a 404, not a 403: we do not confirm that it exists.
  if (state.status === 'None' || state.placed.userId !== data.userId) throw new DomainError('not-found', 'No such booking');
  if (state.status === 'CANCELLED') return [];
  // A ticket used, or that could have been, is not given back by its buyer: once the event started, only the organiser cancels.
  if (state.status === 'CONFIRMED' && data.eventStartsAt !== null && Date.parse(data.now) >= Date.parse(data.eventStartsAt)) {
    throw new DomainError('unprocessable', 'The event has started; a confirmed booking can no longer be cancelled', { type: 'event-started' });
  }
  return [{ type: 'BookingCancelled', data: { bookingId: data.bookingId, reason: 'owner' } }];
};

const expire = ({ data }: ExpireBooking, state: Booking): BookingEvent[] => {
  if (state.status !== 'PENDING' || Date.parse(data.now) < Date.parse(state.placed.expiresAt)) return [];
  return [{ type: 'BookingCancelled', data: { bookingId: data.bookingId, reason: 'hold-expired' } }];
};

const cancelForEvent = ({ data }: CancelForEvent, state: Booking): BookingEvent[] => {
  if (state.status !== 'PENDING' && state.status !== 'CONFIRMED') return [];
  return [{ type: 'BookingCancelled', data: { bookingId: data.bookingId, reason: 'event-cancelled' } }];
};

export const bookingDecider: Decider<Booking, BookingCommand, BookingEvent> = {
  initialState: () => ({ status: 'None' }),
  evolve: (state, event) => {
    if (event.type === 'BookingPlaced') {
      return { status: 'PENDING', placed: event.data, ticketReference: null, paymentId: null, cancellation: null };
    }
    if (state.status === 'None') return state;
    switch (event.type) {
      case 'BookingConfirmed':
        return { ...state, status: 'CONFIRMED', ticketReference: event.data.ticketReference, paymentId: event.data.paymentId };
      case 'BookingCancelled':
        return { ...state, status: 'CANCELLED', cancellation: event.data.reason };
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'PlaceBooking':
        return place(command, state);
      case 'ConfirmBooking':
        return confirm(command, state);
      case 'CancelBooking':
        return cancel(command, state);
      case 'ExpireBooking':
        return expire(command, state);
      case 'CancelForEvent':
        return cancelForEvent(command, state);
    }
  },
};
