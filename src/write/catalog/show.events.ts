import type { SeatType } from './venue.events.js';

/**
 * A show — what the HTTP API and the read models call an event: a concert, a match — with its
 * venue, dates, prices and status. In code it is a show, so that "event" means one thing: a fact
 * in the log. What is already stored or promised keeps the first spelling: the stream
 * `event-<eventId>`, the types `EventCreated`…, the field `eventId`, the routes `/events`.
 */
export type Price = { seatType: SeatType; priceMinor: number };

export type EventCreated = {
  type: 'EventCreated';
  data: { eventId: string; venueId: string; name: string; description: string | null; startTime: string; endTime: string; currency: string; prices: Price[] };
};
/** Version 2 (#21) names the currency the prices are in; version 1, from when every event was in USD, is read as USD (domain-event.ts). */
export type EventPricesChanged = { type: 'EventPricesChanged'; schemaVersion: 2; data: { eventId: string; currency: string; prices: Price[] } };
export type EventPublished = { type: 'EventPublished'; data: { eventId: string } };
export type EventCancelled = { type: 'EventCancelled'; data: { eventId: string } };
export type ShowEvent = EventCreated | EventPricesChanged | EventPublished | EventCancelled;

export const showStream = (eventId: string) => `event-${eventId}`;
