import type { CatalogEventEvent } from '../write/catalog/event.decider.js';
import type { VenueEvent } from '../write/catalog/venue.decider.js';
import type { BookingEvent } from '../write/booking/booking.decider.js';
import type { Recorded } from '../write/event-store/event-store.port.js';
import { formatMoney } from '../write/money.js';
import { occurredAt, type Projector, sql, type Sql } from './projector.js';

type Handled = VenueEvent | CatalogEventEvent | BookingEvent;

const pricesJson = (prices: { seatType: string; priceMinor: number }[]) =>
  JSON.stringify(prices.map(({ seatType, priceMinor }) => ({ seatType, price: formatMoney(priceMinor) })));

const upsertPrices = (eventId: string, prices: { seatType: string; priceMinor: number }[]): Sql => sql`
  INSERT INTO catalog.event_seat_prices (event_id, seat_type, price)
  SELECT ${eventId}, p."seatType"::catalog.seat_type, p.price::numeric(10,2)
    FROM jsonb_to_recordset(${pricesJson(prices)}::jsonb) AS p("seatType" text, price text)
  ON CONFLICT (event_id, seat_type) DO UPDATE SET price = excluded.price`;

const setEventStatus = (eventId: string, status: string, at: string): Sql =>
  sql`UPDATE catalog.events SET status = ${status}::catalog.event_status, updated_at = ${at} WHERE id = ${eventId}`;

// position: the event that changed the seat, so the live seat map can send what changed after a position.
const setSeats = (bookingId: string, status: 'RESERVED' | 'SOLD' | 'AVAILABLE', at: string, position: string): Sql =>
  status === 'AVAILABLE'
    ? sql`UPDATE catalog.seat_availability SET status = 'AVAILABLE', booking_id = NULL, updated_at = ${at}, position = ${position} WHERE booking_id = ${bookingId}`
    : sql`UPDATE catalog.seat_availability SET status = ${status}::catalog.seat_status, updated_at = ${at}, position = ${position} WHERE booking_id = ${bookingId}`;

/**
 * The catalog tables of data-model.md and the seat map (catalog.seat_availability): one seat row
 * per seat of the venue per event, AVAILABLE, RESERVED (a pending booking holds it) or SOLD.
 * The seat map follows the bookings' own events, which come in the log in the order they were decided.
 */
export const catalogProjector: Projector = {
  name: 'catalog',
  tables: ['catalog.venues', 'catalog.seats', 'catalog.events', 'catalog.event_seat_prices', 'catalog.seat_availability'],
  handles: new Set([
    'VenueCreated', 'SeatsAdded', 'EventCreated', 'EventPricesChanged', 'EventPublished', 'EventCancelled',
    'BookingPlaced', 'BookingConfirmed', 'BookingCancelled',
  ]),
  project: (recorded: Recorded) => {
    const event = recorded as unknown as Handled;
    const at = occurredAt(recorded);
    const { position } = recorded;
    switch (event.type) {
      case 'VenueCreated': {
        const { venueId, name, location, capacity } = event.data;
        return [sql`INSERT INTO catalog.venues (id, name, location, capacity, created_at, updated_at)
                    VALUES (${venueId}, ${name}, ${location}, ${capacity}, ${at}, ${at}) ON CONFLICT (id) DO NOTHING`];
      }
      case 'SeatsAdded': {
        const { venueId, seats } = event.data;
        const json = JSON.stringify(seats);
        return [
          sql`INSERT INTO catalog.seats (id, venue_id, row, number, type, created_at)
              SELECT s."seatId", ${venueId}, s.row, s.number, s.type::catalog.seat_type, ${at}
                FROM jsonb_to_recordset(${json}::jsonb) AS s("seatId" uuid, row text, number int, type text)
              ON CONFLICT (id) DO NOTHING`,
          // Seats added after an event was created belong to its seat map too.
          sql`INSERT INTO catalog.seat_availability (event_id, seat_id, venue_id, row, number, type, updated_at, position)
              SELECT e.id, s."seatId", ${venueId}, s.row, s.number, s.type::catalog.seat_type, ${at}, ${position}
                FROM catalog.events e, jsonb_to_recordset(${json}::jsonb) AS s("seatId" uuid, row text, number int, type text)
               WHERE e.venue_id = ${venueId}
              ON CONFLICT (event_id, seat_id) DO NOTHING`,
          sql`UPDATE catalog.venues SET updated_at = ${at} WHERE id = ${venueId}`,
        ];
      }
      case 'EventCreated': {
        const { eventId, venueId, name, description, startTime, endTime, prices } = event.data;
        return [
          sql`INSERT INTO catalog.events (id, venue_id, name, description, start_time, end_time, status, created_at, updated_at)
              VALUES (${eventId}, ${venueId}, ${name}, ${description}, ${startTime}, ${endTime}, 'DRAFT', ${at}, ${at})
              ON CONFLICT (id) DO NOTHING`,
          upsertPrices(eventId, prices),
          sql`INSERT INTO catalog.seat_availability (event_id, seat_id, venue_id, row, number, type, updated_at, position)
              SELECT ${eventId}, s.id, s.venue_id, s.row, s.number, s.type, ${at}, ${position} FROM catalog.seats s WHERE s.venue_id = ${venueId}
              ON CONFLICT (event_id, seat_id) DO NOTHING`,
        ];
      }
      case 'EventPricesChanged':
        return [upsertPrices(event.data.eventId, event.data.prices), sql`UPDATE catalog.events SET updated_at = ${at} WHERE id = ${event.data.eventId}`];
      case 'EventPublished':
        return [setEventStatus(event.data.eventId, 'PUBLISHED', at)];
      case 'EventCancelled':
        return [setEventStatus(event.data.eventId, 'CANCELLED', at)];
      case 'BookingPlaced': {
        const { bookingId, eventId, items } = event.data;
        return [sql`UPDATE catalog.seat_availability SET status = 'RESERVED', booking_id = ${bookingId}, updated_at = ${at}, position = ${position}
                     WHERE event_id = ${eventId} AND seat_id = ANY(${items.map((item) => item.seatId)}::uuid[])`];
      }
      case 'BookingConfirmed':
        return [setSeats(event.data.bookingId, 'SOLD', at, position)];
      case 'BookingCancelled':
        return [setSeats(event.data.bookingId, 'AVAILABLE', at, position)];
    }
  },
};
