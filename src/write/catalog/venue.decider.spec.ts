import { specification } from '../../../test/support/given.js';
import { venueDecider } from './venue.decider.js';
import type { SeatsAdded, VenueCreated } from './venue.events.js';

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
      .thenFails('conflict', { conflictingSeats: [{ section: '', row: 'A', number: 2 }] });
    given(created)
      .when({ type: 'AddSeats', data: { venueId: 'v-1', seats: [seat('s-3', 'B', 1), seat('s-4', 'B', 1)] } })
      .thenFails('conflict', { conflictingSeats: [{ section: '', row: 'B', number: 1 }] });
  });
  it('places seats per section: the same row and number in two sections are two seats', () => {
    const inSection = (seatId: string, section: string) => ({ ...seat(seatId, 'A', 1), section });
    given(created).when({ type: 'AddSeats', data: { venueId: 'v-1', seats: [inSection('s-3', 'Left'), inSection('s-4', 'Right')] } })
      .then({ type: 'SeatsAdded', data: { venueId: 'v-1', seats: [inSection('s-3', 'Left'), inSection('s-4', 'Right')] } });
    given(created, added).when({ type: 'AddSeats', data: { venueId: 'v-1', seats: [inSection('s-3', '')] } })
      .thenFails('conflict', { conflictingSeats: [{ section: '', row: 'A', number: 1 }] });
  });
  it('refuses more seats than the capacity', () =>
    given(created, added).when({ type: 'AddSeats', data: { venueId: 'v-1', seats: [seat('s-3', 'B', 1), seat('s-4', 'B', 2)] } }).thenFails('unprocessable'));
  it('does not add seats to a venue that does not exist', () => given().when({ type: 'AddSeats', data: added.data }).thenFails('not-found'));
});
