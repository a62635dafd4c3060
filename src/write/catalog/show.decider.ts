import { DomainError } from '../domain-error.js';
import type { Decider } from '../event-store/handle-command.js';
import { currencyOf, parseMoney } from '../money.js';
import type { SeatType } from './venue.events.js';
import type { EventCreated, Price, ShowEvent } from './show.events.js';

/**
 * A price as the organiser wrote it ("1500", "45.50", 45.5). Its minor units depend on the event's
 * currency — "15" is 1500 cents but 15 yen, and "1500.5" is no amount of yen — so the decider, which
 * knows the currency, reads it.
 */
export type PriceAsked = { seatType: SeatType; price: string | number };

// `now`, the time of asking, arrives inside the command: decide stays pure.
export type CreateShow = { type: 'CreateShow'; data: Omit<EventCreated['data'], 'prices'> & { prices: PriceAsked[]; now: string } };
export type ChangePrices = { type: 'ChangePrices'; data: { eventId: string; prices: PriceAsked[] } };
export type PublishShow = { type: 'PublishShow'; data: { eventId: string; now: string } };
export type CancelShow = { type: 'CancelShow'; data: { eventId: string } };
export type ShowCommand = CreateShow | ChangePrices | PublishShow | CancelShow;

export type ShowStatus = 'DRAFT' | 'PUBLISHED' | 'CANCELLED' | 'COMPLETED';
export type Show =
  | { status: 'None' }
  | { status: ShowStatus; venueId: string; startTime: string; currency: string; prices: Map<SeatType, number> };

const inCurrency = (prices: PriceAsked[], currency: string): Price[] =>
  prices.map(({ seatType, price }) => ({ seatType, priceMinor: parseMoney(price, currency, `The ${seatType} price`) }));

const create = ({ data }: CreateShow, state: Show): ShowEvent[] => {
  const { now, prices, ...created } = data;
  if (state.status !== 'None') throw new DomainError('conflict', 'This event exists already');
  currencyOf(data.currency); // a currency no price can be in (KWD, XAU, "jpy") is refused for itself, not for a price
  if (Date.parse(data.endTime) <= Date.parse(data.startTime)) throw new DomainError('invalid', 'endTime must be after startTime');
  if (Date.parse(data.startTime) <= Date.parse(now)) throw new DomainError('invalid', 'startTime must be in the future');
  return [{ type: 'EventCreated', data: { ...created, prices: inCurrency(prices, data.currency) } }];
};

const changePrices = ({ data }: ChangePrices, state: Show): ShowEvent[] => {
  if (state.status === 'None') throw new DomainError('not-found', 'No such event');
  if (state.status === 'CANCELLED' || state.status === 'COMPLETED') {
    throw new DomainError('unprocessable', `The event is ${state.status}; its prices can no longer change`);
  }
  // The currency goes into the event too: the catalog projector stores the prices in it without reading the event's first.
  const { eventId } = data;
  const { currency } = state;
  return [{ type: 'EventPricesChanged', schemaVersion: 2, data: { eventId, currency, prices: inCurrency(data.prices, currency) } }];
};

const publish = ({ data }: PublishShow, state: Show): ShowEvent[] => {
  if (state.status === 'None') throw new DomainError('not-found', 'No such event');
  if (state.status === 'PUBLISHED') return [];
  if (state.status !== 'DRAFT') throw new DomainError('unprocessable', `A ${state.status} event cannot be published`);
  if (state.prices.size === 0) throw new DomainError('unprocessable', 'An event needs at least one price before it is published');
  if (Date.parse(data.now) >= Date.parse(state.startTime)) throw new DomainError('unprocessable', 'The event has started; it can no longer be published', { type: 'event-started' });
  return [{ type: 'EventPublished', data: { eventId: data.eventId } }];
};

const cancel = ({ data }: CancelShow, state: Show): ShowEvent[] => {
  if (state.status === 'None') throw new DomainError('not-found', 'No such event');
  if (state.status === 'CANCELLED') return [];
  if (state.status === 'COMPLETED') throw new DomainError('unprocessable', 'A completed event cannot be cancelled');
  return [{ type: 'EventCancelled', data }];
};

const withPrices = (prices: Map<SeatType, number>, changes: Price[]) =>
  new Map([...prices, ...changes.map((p) => [p.seatType, p.priceMinor] as const)]);

export const showDecider: Decider<Show, ShowCommand, ShowEvent> = {
  initialState: () => ({ status: 'None' }),
  evolve: (state, event) => {
    if (event.type === 'EventCreated') {
      const { venueId, startTime, currency, prices } = event.data;
      return { status: 'DRAFT', venueId, startTime, currency, prices: withPrices(new Map(), prices) };
    }
    if (state.status === 'None') return state;
    switch (event.type) {
      case 'EventPricesChanged':
        return { ...state, prices: withPrices(state.prices, event.data.prices) };
      case 'EventPublished':
        return { ...state, status: 'PUBLISHED' };
      case 'EventCancelled':
        return { ...state, status: 'CANCELLED' };
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'CreateShow':
        return create(command, state);
      case 'ChangePrices':
        return changePrices(command, state);
      case 'PublishShow':
        return publish(command, state);
      case 'CancelShow':
        return cancel(command, state);
    }
  },
};
