import { randomUUID } from 'node:crypto';
import { projectorSpecification } from '../../test/support/projection.js';
import type { BookingPlaced } from '../write/booking/booking.events.js';
import { bookingProjector } from './booking.projector.js';
import { nameUuid } from './projector.js';

const given = projectorSpecification(bookingProjector);
const [bookingId, eventId, seat1, seat2, paymentId] = Array.from({ length: 5 }, () => randomUUID());
const at = (second: number) => `2026-12-01T10:00:0${second}.000Z`; // inLog: the n-th event occurs n seconds after 10:00

const placed: BookingPlaced = {
  type: 'BookingPlaced',
  data: {
    bookingId,
    eventId,
    userId: 'auth0|alice',
    items: [{ seatId: seat1, priceMinor: 8_000 }, { seatId: seat2, priceMinor: 4_550 }],
    totalMinor: 12_550,
    currency: 'USD',
    expiresAt: '2026-12-01T10:10:00.000Z',
    requestHash: 'h',
  },
};
const booking = { id: bookingId, user_id: 'auth0|alice', event_id: eventId, total_amount: '125.50', currency: 'USD', expires_at: '2026-12-01T10:10:00.000Z' };
const items = [
  { id: nameUuid(seat1, bookingId), booking_id: bookingId, seat_id: seat1, price: '80.00', created_at: at(0) },
  { id: nameUuid(seat2, bookingId), booking_id: bookingId, seat_id: seat2, price: '45.50', created_at: at(0) },
];

describe('booking projector: project and fold give the same rows', () => {
  it('places a booking with its items', () =>
    given(placed).then({
      'booking.bookings': [{ ...booking, status: 'PENDING', created_at: at(0), updated_at: at(0) }],
      'booking.booking_items': items,
    }));

  it('confirms it with its ticket reference', () =>
    given(placed, { type: 'BookingConfirmed', data: { bookingId, paymentId, ticketReference: 'TKT-1' } }).then({
      'booking.bookings': [{ ...booking, status: 'CONFIRMED', ticket_reference: 'TKT-1', created_at: at(0), updated_at: at(1) }],
      'booking.booking_items': items,
    }));

  it('cancels it, keeping its items', () =>
    given(placed, { type: 'BookingCancelled', data: { bookingId, reason: 'owner' } }).then({
      'booking.bookings': [{ ...booking, status: 'CANCELLED', created_at: at(0), updated_at: at(1) }],
      'booking.booking_items': items,
    }));

  it('stores amounts of the booking\'s currency: ¥3000 for two seats is 3000.00', () => {
    const inYen: BookingPlaced = { ...placed, data: { ...placed.data, items: [{ seatId: seat1, priceMinor: 1_500 }, { seatId: seat2, priceMinor: 1_500 }], totalMinor: 3_000, currency: 'JPY' } };
    return given(inYen).then({
      'booking.bookings': [{ ...booking, total_amount: '3000.00', currency: 'JPY', status: 'PENDING', created_at: at(0), updated_at: at(0) }],
      'booking.booking_items': items.map((item) => ({ ...item, price: '1500.00' })),
    });
  });

  it('changes nothing for a booking placed twice (a replayed event), nor for one it never saw', () =>
    given(placed, placed, { type: 'BookingCancelled', data: { bookingId: randomUUID(), reason: 'hold-expired' } }).then({
      'booking.bookings': [{ ...booking, status: 'PENDING', created_at: at(0), updated_at: at(0) }],
      'booking.booking_items': items,
    }));
});
