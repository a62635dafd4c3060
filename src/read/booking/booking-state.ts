import { type Booking, bookingDecider } from '../../write/booking/booking.decider.js';
import { bookingStream } from '../../write/booking/booking.events.js';
import type { Recorded } from '../../write/event-store/event-store.port.js';
import { asDecided } from '../../write/event-store/handle-command.js';
import { formatMoney } from '../../write/money.js';
import { type Payment, paymentDecider } from '../../write/payment/payment.decider.js';

/** A booking as its audit sees it: its own stream and its payment's, each folded by its decider. */
export type BookingAudit = { booking: Booking; payment: Payment };

export const initialBookingAudit = (): BookingAudit => ({ booking: bookingDecider.initialState(), payment: paymentDecider.initialState() });

/** Each event goes to the decider of its stream: the booking's own, or else its payment's. */
export const evolveBookingAudit = (state: BookingAudit, event: Recorded): BookingAudit =>
  event.streamName.startsWith(bookingStream(''))
    ? { ...state, booking: bookingDecider.evolve(state.booking, asDecided(event)) }
    : { ...state, payment: paymentDecider.evolve(state.payment, asDecided(event)) };

/** The state as `eventix state booking` prints it and each step of GET /bookings/:id/history carries it; null before the booking exists. */
export const describeBooking = ({ booking, payment }: BookingAudit) => {
  if (booking.status === 'None') return null;
  const { placed } = booking;
  return {
    status: booking.status,
    userId: placed.userId,
    eventId: placed.eventId,
    totalAmount: formatMoney(placed.totalMinor),
    currency: placed.currency,
    expiresAt: placed.expiresAt,
    seats: placed.items.map((item) => ({ seatId: item.seatId, price: formatMoney(item.priceMinor) })),
    ticketReference: booking.ticketReference,
    cancellation: booking.cancellation,
    payment: payment.status === 'None' ? null : { status: payment.status, attempt: payment.attempt, refunded: payment.refund?.status === 'REFUNDED', refundPending: payment.refund?.status === 'REQUESTED', failureReason: payment.failureReason },
  };
};
