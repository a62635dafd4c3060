import type { BookingEvent } from '../write/booking/booking.events.js';
import type { Price, ShowEvent } from '../write/catalog/show.events.js';
import type { VenueEvent } from '../write/catalog/venue.events.js';
import type { OrganiserHoldPlaced, OrganiserHoldReleased } from '../write/seat-inventory/seat-inventory.events.js';
import { toDecimalColumn } from '../write/money.js';
import { keyOf, occurredAt, type Projector, type Row, sql, type Sql, updateRow } from './projector.js';

type Followed = VenueEvent | ShowEvent | BookingEvent | OrganiserHoldPlaced | OrganiserHoldReleased;

// Minor units of the event's currency: ¥1500 is 1500.00 in the column, $15.00 is 15.00.
const pricesJson = (prices: Price[], currency: string) =>
  JSON.stringify(prices.map(({ seatType, priceMinor }) => ({ seatType, price: toDecimalColumn(priceMinor, currency) })));

const upsertPrices = (eventId: string, prices: Price[], currency: string): Sql => sql`
  INSERT INTO catalog.event_seat_prices (event_id, seat_type, price)
  SELECT ${eventId}, p."seatType"::catalog.seat_type, p.price::numeric(10,2)
    FROM jsonb_to_recordset(${pricesJson(prices, currency)}::jsonb) AS p("seatType" text, price text)
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
 * per seat of the venue per event, AVAILABLE, RESERVED (a pending booking holds it), SOLD, or HELD
 * (the organiser keeps it back). The seat map follows the bookings' own events and the holds of the
 * seat inventory, which come in the log in the order they were decided: a seat is released before
 * it is held, and a hold released before its seat is booked.
 *
 * A seat's `layout_order` is its place among its venue's seats in the order they were added: the
 * seat map ranks seats without a rank of their own by it (venue-layout.ts). An event's `currency`
 * (migrations/1765700000000-EventCurrencies.ts) says what its prices' DECIMAL(10,2) counts.
 */
export const catalogProjector: Projector<Followed> = {
  name: 'catalog',
  tables: ['catalog.venues', 'catalog.seats', 'catalog.events', 'catalog.event_seat_prices', 'catalog.seat_availability'],
  handles: new Set([
    'VenueCreated', 'SeatsAdded', 'EventCreated', 'EventPricesChanged', 'EventPublished', 'EventCancelled',
    'BookingPlaced', 'BookingConfirmed', 'BookingCancelled', 'OrganiserHoldPlaced', 'OrganiserHoldReleased',
  ]),
  project: (event) => {
    const at = occurredAt(event);
    const { position } = event;
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
          sql`INSERT INTO catalog.seats (id, venue_id, section, row, number, type, rank, layout_order, created_at)
              SELECT s."seatId", ${venueId}, coalesce(s.section, ''), s.row, s.number, s.type::catalog.seat_type, s.rank,
                     (SELECT count(*) FROM catalog.seats WHERE venue_id = ${venueId}) + s.n - 1, ${at}
                FROM ROWS FROM (jsonb_to_recordset(${json}::jsonb) AS ("seatId" uuid, section text, row text, number int, type text, rank int))
                     WITH ORDINALITY AS s("seatId", section, row, number, type, rank, n)
              ON CONFLICT (id) DO NOTHING`,
          // Seats added after an event was created belong to its seat map too.
          sql`INSERT INTO catalog.seat_availability (event_id, seat_id, venue_id, section, row, number, type, updated_at, position)
              SELECT e.id, s."seatId", ${venueId}, coalesce(s.section, ''), s.row, s.number, s.type::catalog.seat_type, ${at}, ${position}
                FROM catalog.events e, jsonb_to_recordset(${json}::jsonb) AS s("seatId" uuid, section text, row text, number int, type text)
               WHERE e.venue_id = ${venueId}
              ON CONFLICT (event_id, seat_id) DO NOTHING`,
          sql`UPDATE catalog.venues SET updated_at = ${at} WHERE id = ${venueId}`,
        ];
      }
      case 'EventCreated': {
        const { eventId, venueId, name, description, startTime, endTime, currency, prices } = event.data;
        return [
          sql`INSERT INTO catalog.events (id, venue_id, name, description, start_time, end_time, status, currency, created_at, updated_at)
              VALUES (${eventId}, ${venueId}, ${name}, ${description}, ${startTime}, ${endTime}, 'DRAFT', ${currency}, ${at}, ${at})
              ON CONFLICT (id) DO NOTHING`,
          upsertPrices(eventId, prices, currency),
          sql`INSERT INTO catalog.seat_availability (event_id, seat_id, venue_id, section, row, number, type, updated_at, position)
              SELECT ${eventId}, s.id, s.venue_id, s.section, s.row, s.number, s.type, ${at}, ${position} FROM catalog.seats s WHERE s.venue_id = ${venueId}
              ON CONFLICT (event_id, seat_id) DO NOTHING`,
        ];
      }
      case 'EventPricesChanged':
        return [upsertPrices(event.data.eventId, event.data.prices, event.data.currency), sql`UPDATE catalog.events SET updated_at = ${at} WHERE id = ${event.data.eventId}`];
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
      case 'OrganiserHoldPlaced': {
        const { eventId, holdId, seatIds } = event.data;
        return [sql`UPDATE catalog.seat_availability SET status = 'HELD', hold_id = ${holdId}, updated_at = ${at}, position = ${position}
                     WHERE event_id = ${eventId} AND seat_id = ANY(${seatIds}::uuid[])`];
      }
      case 'OrganiserHoldReleased': {
        const { eventId, holdId } = event.data;
        return [sql`UPDATE catalog.seat_availability SET status = 'AVAILABLE', hold_id = NULL, updated_at = ${at}, position = ${position}
                     WHERE event_id = ${eventId} AND hold_id = ${holdId}`];
      }
    }
  },
  fold: () => {
    const venues = new Map<string, Row>();
    const seats = new Map<string, Row>();
    const events = new Map<string, Row>();
    const prices = new Map<string, Row>(); // by (event_id, seat_type)
    const seatMap = new Map<string, Row>(); // by (event_id, seat_id)
    // The other keys the statements' WHERE clauses use.
    const seatsOfVenue = new Map<string, Row[]>();
    const eventsOfVenue = new Map<string, Row[]>();
    const seatsOfBooking = new Map<string, Row[]>(); // rows the booking ever held: filtered by booking_id when used
    const seatsOfHold = new Map<string, Row[]>(); // likewise for an organiser's hold, by hold_id
    const add = (index: Map<string, Row[]>, key: string, row: Row) => {
      const rows = index.get(key);
      if (rows) rows.push(row);
      else index.set(key, [row]);
    };
    const upsertPrices = (eventId: string, changed: Price[], currency: string) => {
      for (const { seatType, priceMinor } of changed) {
        const key = keyOf(eventId, seatType);
        const price = toDecimalColumn(priceMinor, currency);
        if (prices.has(key)) updateRow(prices, key, { price });
        else prices.set(key, { event_id: eventId, seat_type: seatType, price });
      }
    };
    const addToSeatMap = (eventId: string, seat: Row, at: string, position: string) => {
      const key = keyOf(eventId, seat.id);
      if (!seatMap.has(key))
        seatMap.set(key, { event_id: eventId, seat_id: seat.id, venue_id: seat.venue_id, section: seat.section, row: seat.row, number: seat.number, type: seat.type,
          status: 'AVAILABLE', booking_id: null, hold_id: null, updated_at: at, position });
    };
    const setSeatsOf = (bookingId: string, changes: Row) => {
      for (const row of seatsOfBooking.get(bookingId) ?? []) if (row.booking_id === bookingId) Object.assign(row, changes);
    };
    return {
      apply: (event) => {
        const at = occurredAt(event);
        const { position } = event;
        switch (event.type) {
          case 'VenueCreated': {
            const { venueId, name, location, capacity } = event.data;
            if (!venues.has(venueId)) venues.set(venueId, { id: venueId, name, location, capacity, created_at: at, updated_at: at });
            return;
          }
          case 'SeatsAdded': {
            const { venueId } = event.data;
            const before = seatsOfVenue.get(venueId)?.length ?? 0;
            const added = event.data.seats.map(({ seatId, section = '', row, number, type, rank = null }, i) =>
              ({ id: seatId, venue_id: venueId, section, row, number, type, rank, layout_order: before + i, created_at: at }));
            for (const seat of added) {
              if (seats.has(seat.id)) continue;
              seats.set(seat.id, seat);
              add(seatsOfVenue, venueId, seat);
            }
            for (const catalogEvent of eventsOfVenue.get(venueId) ?? []) for (const seat of added) addToSeatMap(catalogEvent.id as string, seat, at, position);
            return updateRow(venues, venueId, { updated_at: at });
          }
          case 'EventCreated': {
            const { eventId, venueId, name, description, startTime, endTime, currency } = event.data;
            if (!events.has(eventId)) {
              const row = { id: eventId, venue_id: venueId, name, description, start_time: startTime, end_time: endTime, status: 'DRAFT', currency, created_at: at, updated_at: at };
              events.set(eventId, row);
              add(eventsOfVenue, venueId, row);
            }
            upsertPrices(eventId, event.data.prices, currency);
            for (const seat of seatsOfVenue.get(venueId) ?? []) addToSeatMap(eventId, seat, at, position);
            return;
          }
          case 'EventPricesChanged':
            upsertPrices(event.data.eventId, event.data.prices, event.data.currency);
            return updateRow(events, event.data.eventId, { updated_at: at });
          case 'EventPublished':
            return updateRow(events, event.data.eventId, { status: 'PUBLISHED', updated_at: at });
          case 'EventCancelled':
            return updateRow(events, event.data.eventId, { status: 'CANCELLED', updated_at: at });
          case 'BookingPlaced': {
            const { bookingId, eventId, items } = event.data;
            for (const { seatId } of items) {
              const row = seatMap.get(keyOf(eventId, seatId));
              if (!row) continue;
              Object.assign(row, { status: 'RESERVED', booking_id: bookingId, updated_at: at, position });
              add(seatsOfBooking, bookingId, row);
            }
            return;
          }
          case 'BookingConfirmed':
            return setSeatsOf(event.data.bookingId, { status: 'SOLD', updated_at: at, position });
          case 'BookingCancelled':
            return setSeatsOf(event.data.bookingId, { status: 'AVAILABLE', booking_id: null, updated_at: at, position });
          case 'OrganiserHoldPlaced': {
            const { eventId, holdId, seatIds } = event.data;
            for (const seatId of seatIds) {
              const row = seatMap.get(keyOf(eventId, seatId));
              if (!row) continue;
              Object.assign(row, { status: 'HELD', hold_id: holdId, updated_at: at, position });
              add(seatsOfHold, holdId, row);
            }
            return;
          }
          case 'OrganiserHoldReleased': {
            const { holdId } = event.data;
            for (const row of seatsOfHold.get(holdId) ?? []) if (row.hold_id === holdId) Object.assign(row, { status: 'AVAILABLE', hold_id: null, updated_at: at, position });
            return;
          }
        }
      },
      rows: () => ({
        'catalog.venues': venues.values(),
        'catalog.seats': seats.values(),
        'catalog.events': events.values(),
        'catalog.event_seat_prices': prices.values(),
        'catalog.seat_availability': seatMap.values(),
      }),
    };
  },
};
