import type { BookingEvent } from './booking/booking.events.js';
import type { ShowEvent } from './catalog/show.events.js';
import type { VenueEvent } from './catalog/venue.events.js';
import type { Projected } from './event-store/event-store.port.js';
import type { PaymentEvent } from './payment/payment.events.js';
import type { PrivacyEvent } from './privacy/privacy.events.js';
import type { SeatInventoryEvent } from './seat-inventory/seat-inventory.events.js';

/** Every event this service records. */
export type DomainEvent = BookingEvent | PaymentEvent | SeatInventoryEvent | VenueEvent | ShowEvent | PrivacyEvent;

/** Reads version `v` of an event's data as version `v + 1`. */
type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;
/** Per event type, per stored version: the step to the next version. */
export type Upcasters = Partial<Record<DomainEvent['type'], Record<number, Upcaster>>>;

/** Every amount before #21 was in USD: events that carried no currency then are read as USD. */
const inUsd: Upcaster = (data) => ({ ...data, currency: 'USD' });

/**
 * When an event's data changes shape, its decider emits it with the next `schemaVersion` and the
 * step from the version before goes here.
 */
export const UPCASTERS: Upcasters = {
  EventPricesChanged: { 1: inUsd },
  PaymentRefunded: { 1: inUsd },
};

/**
 * A stored event as today's code reads it: older versions brought up, step by step, to the
 * current shape. Every read that gives events a meaning goes through here — a decider's fold
 * (handle-command.ts, stream-cache.ts), the projectors and reactors (log-runner.ts, replay.ts) and
 * the audit (booking-state.ts) — so none of them ever sees an old shape.
 * The stored event is never rewritten: the hash chain and `eventix export` read it as it was stored.
 */
export function upcast<P extends Projected>(stored: P, upcasters: Upcasters = UPCASTERS): P {
  const steps = upcasters[stored.type as DomainEvent['type']];
  let { data, schemaVersion } = stored;
  for (let step = steps?.[schemaVersion]; step; step = steps?.[schemaVersion]) {
    data = step(data);
    schemaVersion++;
  }
  return data === stored.data ? stored : { ...stored, data, schemaVersion };
}
