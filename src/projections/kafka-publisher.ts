import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka, Message, Producer } from 'kafkajs';
import { Environment } from '../config.js';
import { ensureTopics, idempotentProducer, KAFKA, topics } from '../kafka.js';
import type { BookingEvent } from '../write/booking/booking.events.js';
import type { ShowEvent } from '../write/catalog/show.events.js';
import type { Recorded } from '../write/event-store/event-store.port.js';
import { formatMoney } from '../write/money.js';
import type { PaymentEvent } from '../write/payment/payment.events.js';
import type { TicketEvent } from '../write/tickets/ticket.events.js';
import type { Reactor } from './reactor.js';

/** What leaves the service: docs/integration-events.md documents the envelope and every type. */
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

type Public = { topic: keyof ReturnType<typeof topics>; key: string; type: string; data: Record<string, unknown> };

/** The public events and their public shape: internals (request fingerprints, say) stay inside. */
type Published = BookingEvent | PaymentEvent | ShowEvent | TicketEvent;

const toPublic = (event: Published): Public | undefined => {
  switch (event.type) {
    case 'BookingPlaced': {
      const { bookingId, eventId, userId, items, totalMinor, currency, expiresAt } = event.data;
      const data = { bookingId, eventId, userId, items: items.map((i) => ({ seatId: i.seatId, price: formatMoney(i.priceMinor) })), totalAmount: formatMoney(totalMinor), currency, expiresAt };
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
      return { topic: 'payments', key: event.data.paymentId, type: 'payment.refunded', data: { ...rest, refundId: rest.refundId ?? null, amount: formatMoney(amountMinor) } };
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

/**
 * Publishes the public events to Kafka, keyed by aggregate id (one aggregate, one partition, its
 * order kept), in the log's order. The checkpoint moves only after the broker acknowledged the
 * batch: a broker that is down, or a crash, delays messages and may repeat some, never loses one.
 * Consumers de-duplicate by `id`.
 */
@Injectable()
export class KafkaPublisher implements Reactor<Published>, OnApplicationShutdown {
  readonly name = 'kafka-publisher';
  readonly handles = new Set<Published['type']>([
    'BookingPlaced', 'BookingConfirmed', 'BookingCancelled', 'PaymentSucceeded', 'PaymentFailed', 'PaymentRefunded', 'EventPublished', 'EventCancelled', 'TicketAdmitted',
  ]);
  private producer?: Promise<Producer>;
  private readonly topics: ReturnType<typeof topics>;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka | null,
    env: Environment,
  ) {
    this.topics = topics(env);
  }

  get enabled(): boolean {
    return this.kafka !== null;
  }

  async react(batch: Recorded<Published>[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const recorded of batch) {
      const published = toPublic(recorded);
      if (!published) continue;
      const envelope: IntegrationEvent = {
        id: recorded.metadata.eventId,
        type: published.type,
        version: recorded.schemaVersion,
        time: recorded.metadata.occurredAt,
        correlationId: recorded.metadata.correlationId,
        causationId: recorded.metadata.causationId,
        subject: published.key,
        data: published.data,
      };
      const topic = this.topics[published.topic];
      byTopic.set(topic, [
        ...(byTopic.get(topic) ?? []),
        { key: published.key, value: JSON.stringify(envelope), headers: { 'event-id': envelope.id, 'event-type': envelope.type } },
      ]);
    }
    if (byTopic.size === 0) return;
    const producer = await this.connected();
    try {
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    } catch (error) {
      // After an outage, start over with a new producer; the runner retries the batch from the checkpoint.
      this.producer = undefined;
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async onApplicationShutdown() {
    await (await this.producer?.catch(() => undefined))?.disconnect();
  }

  private connected(): Promise<Producer> {
    if (!this.kafka) throw new Error('Kafka is not configured');
    this.producer ??= (async () => {
      await ensureTopics(this.kafka!, Object.values(this.topics));
      const producer = idempotentProducer(this.kafka!);
      await producer.connect();
      return producer;
    })().catch((error: Error) => {
      this.producer = undefined;
      throw error;
    });
    return this.producer;
  }
}
