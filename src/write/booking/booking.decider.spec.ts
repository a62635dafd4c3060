import { specification } from '../../../test/support/given.js';
import { bookingDecider } from './booking.decider.js';
import type { BookingCancelled, BookingConfirmed, BookingPlaced } from './booking.events.js';

const given = specification(bookingDecider);
const bookingId = 'b-1';
const placed: BookingPlaced = {
  type: 'BookingPlaced',
  data: {
    bookingId,
    eventId: 'e-1',
    userId: 'alice',
    items: [{ seatId: 's-1', priceMinor: 4500 }, { seatId: 's-2', priceMinor: 4500 }],
    totalMinor: 9000,
    currency: 'USD',
    expiresAt: '2030-01-01T10:10:00.000Z',
    requestHash: 'h-1',
  },
};
const confirmed: BookingConfirmed = { type: 'BookingConfirmed', data: { bookingId, paymentId: 'p-1', ticketReference: 'TKT-1' } };
const cancelledBy = (reason: BookingCancelled['data']['reason']): BookingCancelled => ({ type: 'BookingCancelled', data: { bookingId, reason } });
const beforeExpiry = '2030-01-01T10:09:59.999Z';
const atExpiry = '2030-01-01T10:10:00.000Z';

describe('booking', () => {
  describe('place', () => {
    it('places a new booking', () => given().when({ type: 'PlaceBooking', data: placed.data }).then(placed));
    it('changes nothing when the same request is retried', () => given(placed).when({ type: 'PlaceBooking', data: placed.data }).then());
    it('refuses the same Idempotency-Key with another body', () =>
      given(placed).when({ type: 'PlaceBooking', data: { ...placed.data, requestHash: 'h-2' } }).thenFails('unprocessable'));
  });

  describe('confirm', () => {
    const confirm = (now: string, paymentId = 'p-1') =>
      ({ type: 'ConfirmBooking', data: { bookingId, paymentId, ticketReference: 'TKT-1', now } }) as const;
    it('confirms a pending booking within its hold', () => given(placed).when(confirm(beforeExpiry)).then(confirmed));
    it('refuses once the hold has expired, even before the expiry is recorded', () =>
      given(placed).when(confirm(atExpiry)).thenFails('conflict'));
    it('refuses a cancelled booking', () => given(placed, cancelledBy('hold-expired')).when(confirm(beforeExpiry)).thenFails('conflict'));
    it('ignores the same payment confirming twice', () => given(placed, confirmed).when(confirm(beforeExpiry)).then());
    it('refuses a second, different payment', () => given(placed, confirmed).when(confirm(beforeExpiry, 'p-2')).thenFails('conflict'));
    it('does not know a booking that does not exist', () => given().when(confirm(beforeExpiry)).thenFails('not-found'));
  });

  describe('cancel by the owner', () => {
    const startsAt = '2030-01-02T20:00:00.000Z';
    const cancelBy = (userId: string, now = '2030-01-01T10:05:00.000Z') => ({ type: 'CancelBooking', data: { bookingId, userId, eventStartsAt: startsAt, now } }) as const;
    it('cancels a pending booking', () => given(placed).when(cancelBy('alice')).then(cancelledBy('owner')));
    it('cancels a confirmed booking (its payment is refunded by the handler)', () =>
      given(placed, confirmed).when(cancelBy('alice')).then(cancelledBy('owner')));
    it('ignores a second cancel', () => given(placed, cancelledBy('owner')).when(cancelBy('alice')).then());
    it("hides other users' bookings", () => given(placed).when(cancelBy('mallory')).thenFails('not-found'));
    it('refuses to cancel a confirmed booking once its event started', () => {
      given(placed, confirmed).when(cancelBy('alice', startsAt)).thenFails('unprocessable');
      given(placed, confirmed).when(cancelBy('alice', '2030-01-03T00:00:00.000Z')).thenFails('unprocessable');
    });
  });

  describe('expire', () => {
    const expireAt = (now: string) => ({ type: 'ExpireBooking', data: { bookingId, now } }) as const;
    it('cancels a pending booking whose hold has run out', () => given(placed).when(expireAt(atExpiry)).then(cancelledBy('hold-expired')));
    it('leaves a booking whose hold still runs', () => given(placed).when(expireAt(beforeExpiry)).then());
    it('never expires a confirmed booking', () => given(placed, confirmed).when(expireAt(atExpiry)).then());
  });

  describe('event cancelled', () => {
    const cancelForEvent = { type: 'CancelForEvent', data: { bookingId } } as const;
    it('cancels a pending booking', () => given(placed).when(cancelForEvent).then(cancelledBy('event-cancelled')));
    it('cancels a confirmed booking', () => given(placed, confirmed).when(cancelForEvent).then(cancelledBy('event-cancelled')));
    it('leaves a cancelled booking alone', () => given(placed, cancelledBy('owner')).when(cancelForEvent).then());
  });
});
