import { specification } from '../../../test/support/given.js';
import { showDecider, type ShowCommand } from './show.decider.js';
import type { EventCreated, ShowEvent } from './show.events.js';

describe('show (a catalog event)', () => {
  const given = specification(showDecider);
  const eventId = 'e-1';
  const created: EventCreated = {
    type: 'EventCreated',
    data: { eventId, venueId: 'v-1', name: 'Concert', description: null, startTime: '2030-01-01T20:00:00Z', endTime: '2030-01-01T23:00:00Z', currency: 'USD', prices: [{ seatType: 'VIP', priceMinor: 15000 }] },
  };
  const published: ShowEvent = { type: 'EventPublished', data: { eventId } };
  const cancelled: ShowEvent = { type: 'EventCancelled', data: { eventId } };
  const now = '2029-12-01T12:00:00.000Z';
  const create = (data: Partial<EventCreated['data']> = {}) => ({ type: 'CreateShow', data: { ...created.data, ...data, now } }) as const;
  const publish = (at = now) => ({ type: 'PublishShow', data: { eventId, now: at } }) as const;

  it('is created as a draft with its prices', () => given().when(create()).then(created));
  it('refuses to end before it starts', () =>
    given().when(create({ endTime: created.data.startTime })).thenFails('invalid'));
  it('refuses to be created in the past, or to be published once it started', () => {
    given().when(create({ startTime: '2001-01-01T20:00:00Z', endTime: '2001-01-01T23:00:00Z' })).thenFails('invalid');
    given().when(create({ startTime: now })).thenFails('invalid');
    given(created).when(publish(created.data.startTime)).thenFails('unprocessable');
  });
  it('publishes a draft once', () => {
    given(created).when(publish()).then(published);
    given(created, published).when(publish()).then();
  });
  it('needs a price to be published', () =>
    given({ ...created, data: { ...created.data, prices: [] } }).when(publish()).thenFails('unprocessable'));
  it('changes prices until it is cancelled', () => {
    const change: ShowCommand = { type: 'ChangePrices', data: { eventId, prices: [{ seatType: 'VIP', priceMinor: 12000 }] } };
    given(created, published).when(change).then({ type: 'EventPricesChanged', data: { eventId, prices: [{ seatType: 'VIP', priceMinor: 12000 }] } });
    given(created, cancelled).when(change).thenFails('unprocessable');
  });
  it('is cancelled once, and a cancelled event is never published', () => {
    given(created, published).when({ type: 'CancelShow', data: { eventId } }).then(cancelled);
    given(created, cancelled).when({ type: 'CancelShow', data: { eventId } }).then();
    given(created, cancelled).when(publish()).thenFails('unprocessable');
  });
  it('does not know an event that does not exist', () => given().when(publish()).thenFails('not-found'));
});
