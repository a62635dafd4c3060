import { randomUUID } from 'node:crypto';
import { projectorSpecification } from '../../test/support/projection.js';
import type { BookingEvent } from '../write/booking/booking.events.js';
import { toPosition } from '../write/event-store/event-store.port.js';
import type { ShowEvent } from '../write/catalog/show.events.js';
import type { VenueEvent } from '../write/catalog/venue.events.js';
import type { OrganiserHoldPlaced } from '../write/seat-inventory/seat-inventory.events.js';
import { catalogProjector } from './catalog.projector.js';

const given = projectorSpecification(catalogProjector);
const [venueId, eventId, seat1, seat2, seat3, bookingId, paymentId] = Array.from({ length: 7 }, () => randomUUID());
// inLog: the n-th event occurs n seconds after 10:00, at position n + 1.
const at = (n: number) => `2026-12-01T10:00:0${n}.000Z`;
const position = (n: number) => toPosition(BigInt(n + 1), 0n);

const venueCreated: VenueEvent = { type: 'VenueCreated', data: { venueId, name: 'Hall', location: null, capacity: 100 } };
const seatsAdded = (...seats: [string, number][]): VenueEvent => ({
  type: 'SeatsAdded',
  data: { venueId, seats: seats.map(([seatId, number]) => ({ seatId, row: 'A', number, type: number === 1 ? 'VIP' : 'REGULAR' })) },
});
const created: ShowEvent = {
  type: 'EventCreated',
  data: { eventId, venueId, name: 'Gig', description: null, startTime: '2030-01-01T20:00:00.000Z', endTime: '2030-01-01T23:00:00.000Z', currency: 'USD',
    prices: [{ seatType: 'VIP', priceMinor: 8_000 }, { seatType: 'REGULAR', priceMinor: 4_550 }] },
};
const placed: BookingEvent = {
  type: 'BookingPlaced',
  data: { bookingId, eventId, userId: 'auth0|alice', items: [{ seatId: seat1, priceMinor: 8_000 }], totalMinor: 8_000, currency: 'USD', expiresAt: '2030-01-01T10:00:00.000Z', requestHash: 'h' },
};

const venue = (updated: number) => ({ id: venueId, name: 'Hall', capacity: 100, created_at: at(0), updated_at: at(updated) });
// layout_order: the seat's place in the order the venue's seats were added (numbers 1, 2, 3 here were added in that order).
const seat = (seatId: string, number: number, added: number) =>
  ({ id: seatId, venue_id: venueId, section: '', row: 'A', number, type: number === 1 ? 'VIP' : 'REGULAR', layout_order: number - 1, created_at: at(added) });
const show = (status: string, updated: number, currency = 'USD') => ({
  id: eventId, venue_id: venueId, name: 'Gig', start_time: '2030-01-01T20:00:00.000Z', end_time: '2030-01-01T23:00:00.000Z', status, currency, created_at: at(2), updated_at: at(updated),
});
const prices = (vip: string, regular: string) => [{ event_id: eventId, seat_type: 'VIP', price: vip }, { event_id: eventId, seat_type: 'REGULAR', price: regular }];
const onMap = (seatId: string, number: number, changedAt: number, status = 'AVAILABLE', holder: string | null = null, holdId: string | null = null) => ({
  event_id: eventId, seat_id: seatId, venue_id: venueId, section: '', row: 'A', number, type: number === 1 ? 'VIP' : 'REGULAR',
  status, booking_id: holder, hold_id: holdId, updated_at: at(changedAt), position: position(changedAt),
});

describe('catalog projector: project and fold give the same rows', () => {
  it('adds a venue and its seats, with no seat map while it has no event', () =>
    given(venueCreated, seatsAdded([seat1, 1], [seat2, 2])).then({
      'catalog.venues': [venue(1)],
      'catalog.seats': [seat(seat1, 1, 1), seat(seat2, 2, 1)],
    }));

  it("creates an event with its prices and a seat map of its venue's seats, and maps seats added later", () =>
    given(venueCreated, seatsAdded([seat1, 1], [seat2, 2]), created, seatsAdded([seat3, 3])).then({
      'catalog.venues': [venue(3)],
      'catalog.seats': [seat(seat1, 1, 1), seat(seat2, 2, 1), seat(seat3, 3, 3)],
      'catalog.events': [show('DRAFT', 2)],
      'catalog.event_seat_prices': prices('80.00', '45.50'),
      'catalog.seat_availability': [onMap(seat1, 1, 2), onMap(seat2, 2, 2), onMap(seat3, 3, 3)],
    }));

  it('changes prices, publishes and cancels', () =>
    given(venueCreated, seatsAdded([seat1, 1]), created,
      { type: 'EventPricesChanged', schemaVersion: 2, data: { eventId, currency: 'USD', prices: [{ seatType: 'REGULAR', priceMinor: 5_000 }] } },
      { type: 'EventPublished', data: { eventId } }, { type: 'EventCancelled', data: { eventId } }).then({
      'catalog.venues': [venue(1)],
      'catalog.seats': [seat(seat1, 1, 1)],
      'catalog.events': [show('CANCELLED', 5)],
      'catalog.event_seat_prices': prices('80.00', '50.00'),
      'catalog.seat_availability': [onMap(seat1, 1, 2)],
    }));

  it("stores an event's currency, and its prices as amounts of it: ¥1500 is 1500.00", () =>
    given(venueCreated, seatsAdded([seat1, 1]),
      { ...created, data: { ...created.data, currency: 'JPY', prices: [{ seatType: 'VIP', priceMinor: 1_500 }, { seatType: 'REGULAR', priceMinor: 800 }] } },
      { type: 'EventPricesChanged', schemaVersion: 2, data: { eventId, currency: 'JPY', prices: [{ seatType: 'REGULAR', priceMinor: 2_500 }] } }).then({
      'catalog.venues': [venue(1)],
      'catalog.seats': [seat(seat1, 1, 1)],
      'catalog.events': [show('DRAFT', 3, 'JPY')],
      'catalog.event_seat_prices': prices('1500.00', '2500.00'),
      'catalog.seat_availability': [onMap(seat1, 1, 2)],
    }));

  it('reads prices changed before events had currencies (version 1) as USD', () => {
    // As stored before #21: no currency, every event in USD.
    const changedInV1 = { type: 'EventPricesChanged', schemaVersion: 1, data: { eventId, prices: [{ seatType: 'REGULAR', priceMinor: 5_000 }] } } as unknown as ShowEvent;
    return given(venueCreated, seatsAdded([seat1, 1]), created, changedInV1).then({
      'catalog.venues': [venue(1)],
      'catalog.seats': [seat(seat1, 1, 1)],
      'catalog.events': [show('DRAFT', 3)],
      'catalog.event_seat_prices': prices('80.00', '50.00'),
      'catalog.seat_availability': [onMap(seat1, 1, 2)],
    });
  });

  it('reserves, sells and frees the seats of a booking on the seat map', async () => {
    const history = [venueCreated, seatsAdded([seat1, 1], [seat2, 2]), created, { type: 'EventPublished', data: { eventId } }, placed] as const;
    const base = { 'catalog.venues': [venue(1)], 'catalog.seats': [seat(seat1, 1, 1), seat(seat2, 2, 1)], 'catalog.events': [show('PUBLISHED', 3)], 'catalog.event_seat_prices': prices('80.00', '45.50') };
    await given(...history).then({ ...base, 'catalog.seat_availability': [onMap(seat1, 1, 4, 'RESERVED', bookingId), onMap(seat2, 2, 2)] });
    await given(...history, { type: 'BookingConfirmed', data: { bookingId, paymentId, ticketReference: 'TKT-1' } }).then({
      ...base, 'catalog.seat_availability': [onMap(seat1, 1, 5, 'SOLD', bookingId), onMap(seat2, 2, 2)],
    });
    await given(...history, { type: 'BookingCancelled', data: { bookingId, reason: 'owner' } }).then({
      ...base, 'catalog.seat_availability': [onMap(seat1, 1, 5), onMap(seat2, 2, 2)],
    });
  });

  it("shows the organiser's held seats HELD, and AVAILABLE once the hold is released", async () => {
    const holdId = randomUUID();
    const hold: OrganiserHoldPlaced = { type: 'OrganiserHoldPlaced', data: { eventId, holdId, seatIds: [seat1, seat2], reason: 'press' } };
    const history = [venueCreated, seatsAdded([seat1, 1], [seat2, 2]), created, hold] as const;
    const base = { 'catalog.venues': [venue(1)], 'catalog.seats': [seat(seat1, 1, 1), seat(seat2, 2, 1)], 'catalog.events': [show('DRAFT', 2)], 'catalog.event_seat_prices': prices('80.00', '45.50') };
    await given(...history).then({ ...base, 'catalog.seat_availability': [onMap(seat1, 1, 3, 'HELD', null, holdId), onMap(seat2, 2, 3, 'HELD', null, holdId)] });
    await given(...history, { type: 'OrganiserHoldReleased', data: { eventId, holdId, seatIds: [seat1, seat2] } }).then({
      ...base, 'catalog.seat_availability': [onMap(seat1, 1, 4), onMap(seat2, 2, 4)],
    });
  });

  it('keeps a seat\'s section and rank, and the order seats were added in across requests', () => {
    const withSection: VenueEvent = { type: 'SeatsAdded', data: { venueId, seats: [{ seatId: seat3, section: 'Left', row: 'A', number: 1, type: 'VIP', rank: 7 }] } };
    return given(venueCreated, seatsAdded([seat1, 1], [seat2, 2]), withSection).then({
      'catalog.venues': [venue(2)],
      'catalog.seats': [seat(seat1, 1, 1), seat(seat2, 2, 1), { ...seat(seat3, 1, 2), section: 'Left', rank: 7, layout_order: 2 }],
    });
  });
});
