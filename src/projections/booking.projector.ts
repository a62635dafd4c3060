import type { BookingEvent } from '../write/booking/booking.events.js';
import { toDecimalColumn } from '../write/money.js';
import { keyOf, nameUuid, occurredAt, type Projector, type Row, sql, updateRow } from './projector.js';

// Item ids follow from (booking, seat): a rebuild from the log gives the same rows, ids included.
const itemId = (seatId: string, bookingId: string) => nameUuid(seatId, bookingId);

/** booking.bookings and booking.booking_items of data-model.md. */
export const bookingProjector: Projector<BookingEvent> = {
  name: 'booking',
  tables: ['booking.bookings', 'booking.booking_items'],
  handles: new Set(['BookingPlaced', 'BookingConfirmed', 'BookingCancelled']),
  personal: [{ table: 'booking.bookings', column: 'user_id' }],
  project: (event) => {
    const at = occurredAt(event);
    switch (event.type) {
      case 'BookingPlaced': {
        const { bookingId, userId, eventId, items, totalMinor, currency, expiresAt } = event.data;
        const itemsJson = JSON.stringify(items.map(({ seatId, priceMinor }) => ({ id: itemId(seatId, bookingId), seatId, price: toDecimalColumn(priceMinor, currency) })));
        return [
          sql`INSERT INTO booking.bookings (id, user_id, event_id, status, total_amount, currency, created_at, updated_at, expires_at)
              VALUES (${bookingId}, ${userId}, ${eventId}, 'PENDING', ${toDecimalColumn(totalMinor, currency)}::numeric(10,2), ${currency}, ${at}, ${at}, ${expiresAt})
              ON CONFLICT (id) DO NOTHING`,
          sql`INSERT INTO booking.booking_items (id, booking_id, seat_id, price, created_at)
              SELECT i.id, ${bookingId}, i."seatId", i.price::numeric(10,2), ${at}
                FROM jsonb_to_recordset(${itemsJson}::jsonb) AS i(id uuid, "seatId" uuid, price text)
              ON CONFLICT (seat_id, booking_id) DO NOTHING`,
        ];
      }
      case 'BookingConfirmed':
        return [sql`UPDATE booking.bookings SET status = 'CONFIRMED', ticket_reference = ${event.data.ticketReference}, updated_at = ${at}
                     WHERE id = ${event.data.bookingId}`];
      case 'BookingCancelled':
        return [sql`UPDATE booking.bookings SET status = 'CANCELLED', updated_at = ${at} WHERE id = ${event.data.bookingId}`];
    }
  },
  fold: () => {
    const bookings = new Map<string, Row>();
    const items = new Map<string, Row>(); // by (seat_id, booking_id), the items' unique key
    return {
      apply: (event) => {
        const at = occurredAt(event);
        switch (event.type) {
          case 'BookingPlaced': {
            const { bookingId, userId, eventId, totalMinor, currency, expiresAt } = event.data;
            if (!bookings.has(bookingId))
              bookings.set(bookingId, { id: bookingId, user_id: userId, event_id: eventId, status: 'PENDING', total_amount: toDecimalColumn(totalMinor, currency), currency,
                ticket_reference: null, created_at: at, updated_at: at, expires_at: expiresAt });
            for (const { seatId, priceMinor } of event.data.items) {
              const key = keyOf(seatId, bookingId);
              if (!items.has(key)) items.set(key, { id: itemId(seatId, bookingId), booking_id: bookingId, seat_id: seatId, price: toDecimalColumn(priceMinor, currency), created_at: at });
            }
            return;
          }
          case 'BookingConfirmed':
            return updateRow(bookings, event.data.bookingId, { status: 'CONFIRMED', ticket_reference: event.data.ticketReference, updated_at: at });
          case 'BookingCancelled':
            return updateRow(bookings, event.data.bookingId, { status: 'CANCELLED', updated_at: at });
        }
      },
      rows: () => ({ 'booking.bookings': bookings.values(), 'booking.booking_items': items.values() }),
    };
  },
};
