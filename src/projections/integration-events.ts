import type { BookingEvent } from '../write/booking/booking.events.js';
import type { ShowEvent } from '../write/catalog/show.events.js';
import type { Recorded } from '../write/event-store/event-store.port.js';
import { formatMoney } from '../write/money.js';
import { type PaymentEvent, paymentIdOf } from '../write/payment/payment.events.js';
import type { TicketEvent } from '../write/tickets/ticket.events.js';

/**
 * What leaves the service, on Kafka and in outbound webhooks alike: docs/integration-events.md
 * documents the envelope and every type. Amounts are decimal strings with their currency's decimals
 * ("45.50" USD, "1500" JPY), and every type that carries one carries its `currency`.
 */
export type IntegrationEvent = {
  id: string;
  type: string;
  version: number;
  time: string;
  correlationId: string;
  causationId: string | null;
  subject: string;
  data: Record<string, unknown>;
};

/** The public events: internals (request fingerprints, say) stay inside. */
export type Published = BookingEvent | PaymentEvent | ShowEvent | TicketEvent;

export type Topic = 'bookings' | 'payments' | 'events' | 'tickets';

type Public = { topic: Topic; key: string; type: string; data: Record<string, unknown> };

const toPublic = (event: Published): Public | undefined => {
  switch (event.type) {
    case 'BookingPlaced': {
      const { bookingId, eventId, userId, items, totalMinor, currency, expiresAt } = event.data;
      const money = (minor: number) => formatMoney(minor, currency);
      const data = { bookingId, eventId, userId, items: items.map((i) => ({ seatId: i.seatId, price: money(i.priceMinor) })), totalAmount: money(totalMinor), currency, expiresAt };
      return { topic: 'bookings', key: bookingId, type: 'booking.reserved', data };
    }
    case 'BookingConfirmed':
      return { topic: 'bookings', key: event.data.bookingId, type: 'booking.confirmed', data: event.data };
    case 'BookingCancelled':
      return { topic: 'bookings', key: event.data.bookingId, type: 'booking.cancelled', data: event.data };
    case 'PaymentSucceeded':
      return { topic: 'payments', key: event.data.paymentId, type: 'payment.succeeded', data: event.data };
    case 'PaymentFailed':
      return { topic: 'payments', key: event.data.paymentId, type: 'payment.failed', data: event.data };
    case 'PaymentRefunded': {
      const { amountMinor, ...rest } = event.data;
      return { topic: 'payments', key: event.data.paymentId, type: 'payment.refunded', data: { ...rest, refundId: rest.refundId ?? null, amount: formatMoney(amountMinor, rest.currency) } };
    }
    case 'EventPublished':
      return { topic: 'events', key: event.data.eventId, type: 'event.published', data: event.data };
    case 'EventCancelled':
      return { topic: 'events', key: event.data.eventId, type: 'event.cancelled', data: event.data };
    case 'TicketAdmitted': {
      const { ticketId, eventId, bookingId, seatId, gate, at, supersedes } = event.data;
      return { topic: 'tickets', key: ticketId, type: 'ticket.admitted', data: { ticketId, eventId, bookingId, seatId, gate, scannedAt: at, supersedes: supersedes ?? null } };
    }
    default:
      return undefined;
  }
};

/** The stored types that become integration events, and the public type names they become. */
export const PUBLISHED_TYPES: ReadonlySet<Published['type']> = new Set([
  'BookingPlaced', 'BookingConfirmed', 'BookingCancelled', 'PaymentSucceeded', 'PaymentFailed', 'PaymentRefunded', 'EventPublished', 'EventCancelled', 'TicketAdmitted',
]);
export const INTEGRATION_EVENT_TYPES = [
  'booking.reserved', 'booking.confirmed', 'booking.cancelled', 'payment.succeeded', 'payment.failed', 'payment.refunded', 'event.published', 'event.cancelled', 'ticket.admitted',
] as const;
export type IntegrationEventType = (typeof INTEGRATION_EVENT_TYPES)[number];

/**
 * The order a receiver may rely on: a booking's booking, payment and ticket events share one key
 * (the booking's payment id, which follows from the booking's), an event's catalog events another.
 */
const orderingKeyOf = (event: Published): string => {
  switch (event.type) {
    case 'BookingPlaced':
    case 'BookingConfirmed':
    case 'BookingCancelled':
    case 'TicketAdmitted':
      return paymentIdOf(event.data.bookingId);
    case 'EventPublished':
    case 'EventCancelled':
      return event.data.eventId;
    default:
      return 'paymentId' in event.data ? event.data.paymentId : '';
  }
};

export type Outgoing = { topic: Topic; key: string; orderingKey: string; envelope: IntegrationEvent };

/** The integration event a stored event becomes, or undefined when it stays inside. */
export const toIntegrationEvent = (recorded: Recorded<Published>): Outgoing | undefined => {
  const published = toPublic(recorded);
  if (!published) return undefined;
  return {
    topic: published.topic,
    key: published.key,
    orderingKey: orderingKeyOf(recorded),
    envelope: {
      id: recorded.metadata.eventId,
      type: published.type,
      version: recorded.schemaVersion,
      time: recorded.metadata.occurredAt,
      correlationId: recorded.metadata.correlationId,
      causationId: recorded.metadata.causationId,
      subject: published.key,
      data: published.data,
    },
  };
};
