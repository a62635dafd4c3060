import { specification } from '../../../test/support/given.js';
import { catalogEventDecider, type CatalogEventCommand, type CatalogEventEvent, type EventCreated } from './event.decider.js';
import { venueDecider, type SeatsAdded, type VenueCreated } from './venue.decider.js';

describe('venue', () => {
  const given = specification(venueDecider);
  const created: VenueCreated = { type: 'VenueCreated', data: { venueId: 'v-1', name: 'Hall', location: null, capacity: 3 } };
  const seat = (seatId: string, row: string, number: number) => ({ seatId, row, number, type: 'REGULAR' as const });
  const added: SeatsAdded = { type: 'SeatsAdded', data: { venueId: 'v-1', seats: [seat('s-1', 'A', 1), seat('s-2', 'A', 2)] } };

  it('is created once', () => {
    given().when({ type: 'CreateVenue', data: created.data }).then(created);
    given(created).when({ type: 'CreateVenue', data: created.data }).thenFails('conflict');
  });
  it('adds seats at free positions', () => given(created).when({ type: 'AddSeats', data: added.data }).then(added));
  it('refuses a position taken before or twice in one request, naming it', () => {
    given(created, added)
      .when({ type: 'AddSeats', data: { venueId: 'v-1', seats: [seat('s-3', 'A', 2)] } })
      .thenFails('conflict', { conflictingSeats: [{ row: 'A', number: 2 }] });
    given(created)
      .when({ type: 'AddSeats', data: { venueId: 'v-1', seats: [seat('s-3', 'B', 1), seat('s-4', 'B', 1)] } })
      .thenFails('conflict', { conflictingSeats: [{ row: 'B', number: 1 }] });
  });
  it('refuses more seats than the capacity', () =>
    given(created, added).when({ type: 'AddSeats', data: { venueId: 'v-1', seats: [seat('s-3', 'B', 1), seat('s-4', 'B', 2)] } }).thenFails('unprocessable'));
  it('does not add seats to a venue that does not exist', () => given().when({ type: 'AddSeats', data: added.data }).thenFails('not-found'));
});

describe('catalog event', () => {
  const given = specification(catalogEventDecider);
  const eventId = 'e-1';
  const created: EventCreated = {
    type: 'EventCreated',
    data: { eventId, venueId: 'v-1', name: 'Concert', description: null, startTime: '2030-01-01T20:00:00Z', endTime: '2030-01-01T23:00:00Z', currency: 'USD', prices: [{ seatType: 'VIP', priceMinor: 15000 }] },
  };
  const published: CatalogEventEvent = { type: 'EventPublished', data: { eventId } };
  const cancelled: CatalogEventEvent = { type: 'EventCancelled', data: { eventId } };

  it('is created as a draft with its prices', () => given().when({ type: 'CreateEvent', data: created.data }).then(created));
  it('refuses to end before it starts', () =>
    given().when({ type: 'CreateEvent', data: { ...created.data, endTime: created.data.startTime } }).thenFails('invalid'));
  it('publishes a draft once', () => {
    given(created).when({ type: 'PublishEvent', data: { eventId } }).then(published);
    given(created, published).when({ type: 'PublishEvent', data: { eventId } }).then();
  });
  it('needs a price to be published', () =>
    given({ ...created, data: { ...created.data, prices: [] } }).when({ type: 'PublishEvent', data: { eventId } }).thenFails('unprocessable'));
  it('changes prices until it is cancelled', () => {
    const change: CatalogEventCommand = { type: 'ChangePrices', data: { eventId, prices: [{ seatType: 'VIP', priceMinor: 12000 }] } };
    given(created, published).when(change).then({ type: 'EventPricesChanged', data: { eventId, prices: [{ seatType: 'VIP', priceMinor: 12000 }] } });
    given(created, cancelled).when(change).thenFails('unprocessable');
  });
  it('is cancelled once, and a cancelled event is never published', () => {
    given(created, published).when({ type: 'CancelEvent', data: { eventId } }).then(cancelled);
    given(created, cancelled).when({ type: 'CancelEvent', data: { eventId } }).then();
    given(created, cancelled).when({ type: 'PublishEvent', data: { eventId } }).thenFails('unprocessable');
  });
  it('does not know an event that does not exist', () => given().when({ type: 'PublishEvent', data: { eventId } }).thenFails('not-found'));
});
