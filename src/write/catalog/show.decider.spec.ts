import { specification } from '../../../test/support/given.js';
import { type PriceAsked, showDecider, type ShowCommand } from './show.decider.js';
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
  const create = (data: Partial<Omit<EventCreated['data'], 'prices'>> & { prices?: PriceAsked[] } = {}): ShowCommand =>
    ({ type: 'CreateShow', data: { ...created.data, prices: [{ seatType: 'VIP', price: '150.00' }], ...data, now } });
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
    const change: ShowCommand = { type: 'ChangePrices', data: { eventId, prices: [{ seatType: 'VIP', price: 120 }] } };
    given(created, published).when(change).then({ type: 'EventPricesChanged', schemaVersion: 2, data: { eventId, currency: 'USD', prices: [{ seatType: 'VIP', priceMinor: 12000 }] } });
    given(created, cancelled).when(change).thenFails('unprocessable');
  });

  describe('in its currency', () => {
    const inYen = (...prices: PriceAsked[]) => create({ currency: 'JPY', prices });
    const createdInYen: EventCreated = { ...created, data: { ...created.data, currency: 'JPY', prices: [{ seatType: 'VIP', priceMinor: 1500 }] } };
    const changeTo = (price: string | number): ShowCommand => ({ type: 'ChangePrices', data: { eventId, prices: [{ seatType: 'VIP', price }] } });

    it("reads prices in the currency's minor units: ¥1500 is 1500, €12.5 is 1250", () => {
      given().when(inYen({ seatType: 'VIP', price: '1500' })).then(createdInYen);
      given().when(create({ currency: 'EUR', prices: [{ seatType: 'VIP', price: '12.5' }] }))
        .then({ ...created, data: { ...created.data, currency: 'EUR', prices: [{ seatType: 'VIP', priceMinor: 1250 }] } });
    });
    it('refuses a price with more decimals than the currency has', () => {
      given().when(inYen({ seatType: 'VIP', price: '1500.5' })).thenFails('invalid');
      given().when(inYen({ seatType: 'VIP', price: 1500.5 })).thenFails('invalid');
      given().when(create({ prices: [{ seatType: 'VIP', price: '15.005' }] })).thenFails('invalid');
    });
    it('refuses an unknown code, one not in capitals, one with 3 decimals, and units that are not money', () => {
      for (const currency of ['XYZ', 'jpy', 'KWD', 'BHD', 'CLF', 'XAU', 'XDR', 'XTS', 'XXX', '']) {
        given().when(create({ currency })).thenFails('invalid');
      }
    });
    it("changes prices in the event's currency, and says which it is", () => {
      given(createdInYen).when(changeTo('2500')).then({ type: 'EventPricesChanged', schemaVersion: 2, data: { eventId, currency: 'JPY', prices: [{ seatType: 'VIP', priceMinor: 2500 }] } });
      given(createdInYen).when(changeTo('1.5')).thenFails('invalid');
      given(created).when(changeTo('1.5')).then({ type: 'EventPricesChanged', schemaVersion: 2, data: { eventId, currency: 'USD', prices: [{ seatType: 'VIP', priceMinor: 150 }] } });
    });
  });
  it('is cancelled once, and a cancelled event is never published', () => {
    given(created, published).when({ type: 'CancelShow', data: { eventId } }).then(cancelled);
    given(created, cancelled).when({ type: 'CancelShow', data: { eventId } }).then();
    given(created, cancelled).when(publish()).thenFails('unprocessable');
  });
  it('does not know an event that does not exist', () => given().when(publish()).thenFails('not-found'));
});
