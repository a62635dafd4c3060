import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError } from '../../write/domain-error.js';
import { describeBooking, evolveBookingAudit, initialBookingAudit, readBookingAudit } from './booking-state.js';
import { EVENT_STORE, type EventStore } from '../../write/event-store/event-store.port.js';
import { fromDecimalColumn } from '../../write/money.js';
import { UserKeys } from '../../write/privacy/user-keys.js';
import type { Booking } from './booking.responses.js';

const BOOKING_COLUMNS = `b.id, b.event_id AS "eventId", b.status, b.total_amount::text AS "totalAmount", b.currency,
  b.ticket_reference AS "ticketReference", b.expires_at AT TIME ZONE 'UTC' AS "expiresAt",
  b.created_at AT TIME ZONE 'UTC' AS "createdAt", b.updated_at AT TIME ZONE 'UTC' AS "updatedAt",
  coalesce((SELECT json_agg(json_build_object('seatId', i.seat_id, 'price', i.price::text) ORDER BY i.seat_id)
              FROM booking.booking_items i WHERE i.booking_id = b.id), '[]') AS items,
  (SELECT json_build_object('paymentId', p.id, 'status', p.status, 'amount', p.amount::text, 'failureReason', p.failure_reason)
     FROM payment.payments p WHERE p.booking_id = b.id) AS payment`;

/**
 * The columns hold two decimals whatever the currency: the API shows the booking's own ("3000" yen,
 * "45.50" dollars). Its payment pays its total, in its currency.
 */
const inItsCurrency = (booking: Booking): Booking => {
  const shown = (amount: string) => fromDecimalColumn(amount, booking.currency);
  return {
    ...booking,
    totalAmount: shown(booking.totalAmount),
    items: booking.items.map(({ seatId, price }) => ({ seatId, price: shown(price) })),
    payment: booking.payment && { ...booking.payment, amount: shown(booking.payment.amount) },
  };
};

/** A user's bookings: only their own (someone else's is a 404: we do not confirm that it exists). */
@Injectable()
export class BookingQueries {
  constructor(
    private readonly db: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly keys: UserKeys,
  ) {}

  async booking(bookingId: string, userId: string) {
    const [booking]: Booking[] = await this.db.query(`SELECT ${BOOKING_COLUMNS} FROM booking.bookings b WHERE b.id = $1 AND b.user_id = $2`, [bookingId, userId]);
    if (!booking) throw new DomainError('not-found', 'No such booking');
    return inItsCurrency(booking);
  }

  /** data-model.md §5.1 "Get user's bookings with pagination", newest first. */
  async myBookings(userId: string, status: string | undefined, limit: number, offset: number) {
    const bookings: Booking[] = await this.db.query(
      `SELECT ${BOOKING_COLUMNS} FROM booking.bookings b
        WHERE b.user_id = $1 AND ($2::booking.booking_status IS NULL OR b.status = $2)
        ORDER BY b.created_at DESC, b.id LIMIT $3 OFFSET $4`,
      [userId, status ?? null, limit, offset],
    );
    return bookings.map(inItsCurrency);
  }

  /**
   * The audit trail, from the event store itself: the booking's events, its payment's and its tickets', in log
   * order, each with the state after it (as `eventix state` tells it).
   */
  async history(bookingId: string, userId: string) {
    const { streams, events } = await readBookingAudit(this.store, bookingId);
    // The owner as stored: the user's encrypted id (docs/privacy.md), or a plain id in bookings placed before #22.
    const owner = (streams[0].events[0]?.data as { userId?: string } | undefined)?.userId;
    if (owner === undefined || (owner !== userId && owner !== (await this.keys.existingEncryptedId(userId)))) throw new DomainError('not-found', 'No such booking');
    let state = initialBookingAudit();
    return (await this.keys.reveal(events, 'mark')).events.map((event) => ({
      type: event.type,
      occurredAt: event.metadata.occurredAt,
      stream: event.streamName,
      revision: Number(event.revision),
      position: event.position,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: event.metadata,
      stateAfter: describeBooking((state = evolveBookingAudit(state, event))),
    }));
  }
}
