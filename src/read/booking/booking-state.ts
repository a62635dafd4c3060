import { type Booking, bookingDecider } from '../../write/booking/booking.decider.js';
import { type BookingPlaced, bookingStream } from '../../write/booking/booking.events.js';
import { comparePositions, type EventStore, type Recorded, type StreamRead } from '../../write/event-store/event-store.port.js';
import { asDecided } from '../../write/event-store/handle-command.js';
import { formatMoney } from '../../write/money.js';
import { type Payment, paymentDecider } from '../../write/payment/payment.decider.js';
import { paymentIdOf, paymentStream } from '../../write/payment/payment.events.js';
import { type Ticket, ticketDecider } from '../../write/tickets/ticket.decider.js';
import { doorStream, type TicketEvent } from '../../write/tickets/ticket.events.js';

/** A booking as its audit sees it: its own stream, its payment's, and its tickets' scans at the door, each folded by its decider. */
export type BookingAudit = { booking: Booking; payment: Payment; tickets: ReadonlyMap<string, { seatId: string; ticket: Ticket; duplicates: number }> };

export const initialBookingAudit = (): BookingAudit => ({ booking: bookingDecider.initialState(), payment: paymentDecider.initialState(), tickets: new Map() });

/** Each event goes to the decider of its stream: the booking's own, its event's door (its tickets' scans), or else its payment's. */
export const evolveBookingAudit = (state: BookingAudit, event: Recorded): BookingAudit => {
  if (event.streamName.startsWith(bookingStream(''))) return { ...state, booking: bookingDecider.evolve(state.booking, asDecided(event)) };
  if (event.streamName.startsWith(doorStream(''))) {
    const scan = asDecided<TicketEvent>(event);
    const before = state.tickets.get(scan.data.ticketId);
    const ticket = ticketDecider.evolve(before?.ticket ?? ticketDecider.initialState(), scan);
    const duplicates = (before?.duplicates ?? 0) + (scan.type === 'DuplicateScanRecorded' || scan.data.supersedes ? 1 : 0);
    return { ...state, tickets: new Map(state.tickets).set(scan.data.ticketId, { seatId: scan.data.seatId, ticket, duplicates }) };
  }
  return { ...state, payment: paymentDecider.evolve(state.payment, asDecided(event)) };
};

/**
 * Every stream of a booking's audit, as stored: the booking's, its payment's, and its event's door
 * (whole, for its hash chain). `events`: the booking's and its payment's, and the scans of its own
 * tickets at the door, in log order.
 */
export const readBookingAudit = async (store: EventStore, bookingId: string): Promise<AuditRead> => {
  const booking = await readStreams(store, [bookingStream(bookingId)]);
  const placed = booking.events.find((event) => event.type === 'BookingPlaced') as Recorded<BookingPlaced> | undefined;
  const others = await readStreams(store, [paymentStream(paymentIdOf(bookingId)), ...(placed ? [doorStream(placed.data.eventId)] : [])]);
  const ours = others.events.filter((event) => !event.streamName.startsWith(doorStream('')) || (event.data as TicketEvent['data']).bookingId === bookingId);
  return { streams: [...booking.streams, ...others.streams], events: [...booking.events, ...ours].sort((a, b) => comparePositions(a.position, b.position)) };
};

export type AuditRead = { streams: (StreamRead & { stream: string })[]; events: Recorded[] };

/** Some streams, each as stored, and all their events in log order. */
export const readStreams = async (store: EventStore, names: string[]): Promise<AuditRead> => {
  const streams = await Promise.all(names.map(async (stream) => ({ stream, ...(await store.readStream(stream)) })));
  return { streams, events: streams.flatMap((read) => read.events).sort((a, b) => comparePositions(a.position, b.position)) };
};

/** The state as `eventix state booking` prints it and each step of GET /bookings/:id/history carries it; null before the booking exists. */
export const describeBooking = ({ booking, payment, tickets }: BookingAudit) => {
  if (booking.status === 'None') return null;
  const { placed } = booking;
  return {
    status: booking.status,
    userId: placed.userId,
    eventId: placed.eventId,
    totalAmount: formatMoney(placed.totalMinor, placed.currency),
    currency: placed.currency,
    expiresAt: placed.expiresAt,
    seats: placed.items.map((item) => ({ seatId: item.seatId, price: formatMoney(item.priceMinor, placed.currency) })),
    ticketReference: booking.ticketReference,
    cancellation: booking.cancellation,
    admissions: [...tickets].map(([ticketId, { seatId, ticket, duplicates }]) => ({
      ticketId, seatId, admitted: ticket.status === 'Admitted' ? ticket.first : null, duplicates,
    })),
    payment: payment.status === 'None' ? null : { status: payment.status, attempt: payment.attempt, refunded: payment.refund?.status === 'REFUNDED', refundPending: payment.refund?.status === 'REQUESTED', failureReason: payment.failureReason },
  };
};
