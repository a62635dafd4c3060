import { DomainError } from '../domain-error.js';
import type { Decider } from '../event-store/handle-command.js';
import type { SeatType } from './venue.decider.js';

/** A catalog event (a concert, a match): its venue, its dates, its prices and its status. */
export type Price = { seatType: SeatType; priceMinor: number };

export type EventCreated = {
  type: 'EventCreated';
  data: { eventId: string; venueId: string; name: string; description: string | null; startTime: string; endTime: string; currency: string; prices: Price[] };
};
export type EventPricesChanged = { type: 'EventPricesChanged'; data: { eventId: string; prices: Price[] } };
export type EventPublished = { type: 'EventPublished'; data: { eventId: string } };
export type EventCancelled = { type: 'EventCancelled'; data: { eventId: string } };
export type CatalogEventEvent = EventCreated | EventPricesChanged | EventPublished | EventCancelled;

export type CreateEvent = { type: 'CreateEvent'; data: EventCreated['data'] };
export type ChangePrices = { type: 'ChangePrices'; data: { eventId: string; prices: Price[] } };
export type PublishEvent = { type: 'PublishEvent'; data: { eventId: string } };
export type CancelEvent = { type: 'CancelEvent'; data: { eventId: string } };
export type CatalogEventCommand = CreateEvent | ChangePrices | PublishEvent | CancelEvent;

export type EventStatus = 'DRAFT' | 'PUBLISHED' | 'CANCELLED' | 'COMPLETED';
export type CatalogEvent =
  | { status: 'None' }
  | { status: EventStatus; venueId: string; currency: string; prices: Map<SeatType, number> };

export const eventStream = (eventId: string) => `event-${eventId}`;

const create = ({ data }: CreateEvent, state: CatalogEvent): CatalogEventEvent[] => {
  if (state.status !== 'None') throw new DomainError('conflict', 'This event exists already');
  if (Date.parse(data.endTime) <= Date.parse(data.startTime)) throw new DomainError('invalid', 'endTime must be after startTime');
  return [{ type: 'EventCreated', data }];
};

const changePrices = ({ data }: ChangePrices, state: CatalogEvent): CatalogEventEvent[] => {
  if (state.status === 'None') throw new DomainError('not-found', 'No such event');
  if (state.status === 'CANCELLED' || state.status === 'COMPLETED') {
    throw new DomainError('unprocessable', `The event is ${state.status}; its prices can no longer change`);
  }
  return [{ type: 'EventPricesChanged', data }];
};

const publish = ({ data }: PublishEvent, state: CatalogEvent): CatalogEventEvent[] => {
  if (state.status === 'None') throw new DomainError('not-found', 'No such event');
  if (state.status === 'PUBLISHED') return [];
  if (state.status !== 'DRAFT') throw new DomainError('unprocessable', `A ${state.status} event cannot be published`);
  if (state.prices.size === 0) throw new DomainError('unprocessable', 'An event needs at least one price before it is published');
  return [{ type: 'EventPublished', data }];
};

const cancel = ({ data }: CancelEvent, state: CatalogEvent): CatalogEventEvent[] => {
  if (state.status === 'None') throw new DomainError('not-found', 'No such event');
  if (state.status === 'CANCELLED') return [];
  if (state.status === 'COMPLETED') throw new DomainError('unprocessable', 'A completed event cannot be cancelled');
  return [{ type: 'EventCancelled', data }];
};

const withPrices = (prices: Map<SeatType, number>, changes: Price[]) =>
  new Map([...prices, ...changes.map((p) => [p.seatType, p.priceMinor] as const)]);

export const catalogEventDecider: Decider<CatalogEvent, CatalogEventCommand, CatalogEventEvent> = {
  initialState: () => ({ status: 'None' }),
  evolve: (state, event) => {
    if (event.type === 'EventCreated') {
      const { venueId, currency, prices } = event.data;
      return { status: 'DRAFT', venueId, currency, prices: withPrices(new Map(), prices) };
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
      case 'CreateEvent':
        return create(command, state);
      case 'ChangePrices':
        return changePrices(command, state);
      case 'PublishEvent':
        return publish(command, state);
      case 'CancelEvent':
        return cancel(command, state);
    }
  },
};
