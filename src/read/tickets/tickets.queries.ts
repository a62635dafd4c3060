import { Injectable } from '@nestjs/common';
import QRCode from 'qrcode';
import { DataSource } from 'typeorm';
import { DomainError } from '../../write/domain-error.js';
import { TicketKeys } from '../../write/tickets/ticket-keys.js';
import { ticketIdOf } from '../../write/tickets/ticket.events.js';

/** A confirmed booking's tickets, one per seat, each with the code a gate scans. */
export type IssuedTickets = {
  bookingId: string;
  eventId: string;
  event: { name: string; startTime: string; venue: string; location: string | null };
  tickets: { ticketId: string; seatId: string; section: string; row: string; number: number; type: string; code: string }[];
};

/** Error correction M (15 % of the code may be damaged), the usual choice for a code on a phone screen or on paper. */
export const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 2 } as const;

/**
 * A code as one byte-mode segment: what qrcode would choose for base64url text anyway (its
 * alphanumeric mode has no lower case), without the search over mixed segments that takes a
 * quarter of the time of making the QR code.
 */
export const qrSegments = (code: string): QRCode.QRCodeSegment[] => [{ data: Buffer.from(code, 'latin1'), mode: 'byte' }];

@Injectable()
export class TicketQueries {
  constructor(
    private readonly db: DataSource,
    private readonly keys: TicketKeys,
  ) {}

  /** The owner's booking's tickets: a 404 for someone else's, a 409 until it is confirmed (and for good once it is cancelled). */
  async tickets(bookingId: string, userId: string): Promise<IssuedTickets> {
    const [booking] = await this.db.query(
      `SELECT b.status, b.event_id AS "eventId", e.name, e.start_time AT TIME ZONE 'UTC' AS "startTime", v.name AS venue, v.location
         FROM booking.bookings b JOIN catalog.events e ON e.id = b.event_id JOIN catalog.venues v ON v.id = e.venue_id
        WHERE b.id = $1 AND b.user_id = $2`,
      [bookingId, userId],
    );
    if (!booking) throw new DomainError('not-found', 'No such booking');
    if (booking.status !== 'CONFIRMED') {
      throw new DomainError('conflict', `The booking is ${booking.status}: tickets are issued for a confirmed booking`, { type: 'booking-not-confirmed' });
    }
    const seats: { seatId: string; section: string; row: string; number: number; type: string }[] = await this.db.query(
      `SELECT i.seat_id AS "seatId", s.section, s.row, s.number, s.type
         FROM booking.booking_items i JOIN catalog.seats s ON s.id = i.seat_id
        WHERE i.booking_id = $1 ORDER BY s.section, s.row, s.number`,
      [bookingId],
    );
    const { eventId } = booking;
    const tickets = await Promise.all(
      seats.map(async (seat) => {
        const ticketId = ticketIdOf(bookingId, seat.seatId);
        return { ticketId, ...seat, code: await this.keys.sign({ ticketId, eventId, seatId: seat.seatId, bookingId }) };
      }),
    );
    const startTime = (booking.startTime as Date).toISOString();
    return { bookingId, eventId, event: { name: booking.name, startTime, venue: booking.venue, location: booking.location }, tickets };
  }

  /** GET /bookings/:id/tickets: the tickets with their QR codes as SVG. */
  async ticketsWithQr(bookingId: string, userId: string) {
    const issued = await this.tickets(bookingId, userId);
    const tickets = await Promise.all(
      issued.tickets.map(async ({ ticketId, seatId, section, row, number, code }) => ({
        ticketId, seatId, section, row, number, code, qrSvg: await QRCode.toString(qrSegments(code), { ...QR_OPTIONS, type: 'svg' }),
      })),
    );
    return { bookingId, eventId: issued.eventId, tickets };
  }

  /** The event's public keys (404 for an event the catalog does not have), made on first use. */
  async publicKeys(eventId: string) {
    const [event] = await this.db.query(`SELECT 1 FROM catalog.events WHERE id = $1`, [eventId]);
    if (!event) throw new DomainError('not-found', 'No such event');
    return this.keys.publicKeys(eventId);
  }

  /** Who has come in: tickets of confirmed bookings, admissions, and admissions by gate. */
  async attendance(eventId: string) {
    const [event] = await this.db.query(
      `SELECT (SELECT count(*) FROM booking.booking_items i JOIN booking.bookings b ON b.id = i.booking_id WHERE b.event_id = e.id AND b.status = 'CONFIRMED')::int AS tickets,
              (SELECT count(*) FROM booking.check_ins c WHERE c.event_id = e.id AND c.outcome = 'DUPLICATE')::int AS duplicates
         FROM catalog.events e WHERE e.id = $1`,
      [eventId],
    );
    if (!event) throw new DomainError('not-found', 'No such event');
    const gates: { gate: string; admitted: number }[] = await this.db.query(
      `SELECT gate, count(*)::int AS admitted FROM booking.check_ins WHERE event_id = $1 AND outcome = 'ADMITTED' GROUP BY gate ORDER BY gate`,
      [eventId],
    );
    const admitted = gates.reduce((sum, gate) => sum + gate.admitted, 0);
    return { eventId, tickets: event.tickets, admitted, duplicates: event.duplicates, byGate: Object.fromEntries(gates.map((g) => [g.gate, g.admitted])) };
  }
}
