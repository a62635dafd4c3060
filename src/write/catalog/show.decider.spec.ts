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

  it('is created as a draft with its prices', () => given().when({ type: 'CreateShow', data: created.data }).then(created));
  it('refuses to end before it starts', () =>
    given().when({ type: 'CreateShow', data: { ...created.data, endTime: created.data.startTime } }).thenFails('invalid'));
  it('publishes a draft once', () => {
    given(created).when({ type: 'PublishShow', data: { eventId } }).then(published);
    given(created, published).when({ type: 'PublishShow', data: { eventId } }).then();
  });
  it('needs a price to be published', () =>
    given({ ...created, data: { ...created.data, prices: [] } }).when({ type: 'PublishShow', data: { eventId } }).thenFails('unprocessable'));
  it('changes prices until it is cancelled', () => {
    const change: ShowCommand = { type: 'ChangePrices', data: { eventId, prices: [{ seatType: 'VIP', priceMinor: 12000 }] } };
    given(created, published).when(change).then({ type: 'EventPricesChanged', data: { eventId, prices: [{ seatType: 'VIP', priceMinor: 12000 }] } });
    given(created, cancelled).when(change).thenFails('unprocessable');
  });
  it('is cancelled once, and a cancelled event is never published', () => {
    given(created, published).when({ type: 'CancelShow', data: { eventId } }).then(cancelled);
    given(created, cancelled).when({ type: 'CancelShow', data: { eventId } }).then();
    given(created, cancelled).when({ type: 'PublishShow', data: { eventId } }).thenFails('unprocessable');
  });
  it('does not know an event that does not exist', () => given().when({ type: 'PublishShow', data: { eventId } }).thenFails('not-found'));
});
