import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka, Message, Producer } from 'kafkajs';
import { Environment } from '../config.js';
import { ensureTopics, idempotentProducer, KAFKA, topics } from '../kafka.js';
import type { Recorded } from '../write/event-store/event-store.port.js';
import { UserKeys } from '../write/privacy/user-keys.js';
import { PUBLISHED_TYPES, type Published, toIntegrationEvent } from './integration-events.js';
import type { Reactor } from './reactor.js';

/**
 * Publishes the public events to Kafka, keyed by aggregate id (one aggregate, one partition, its
 * order kept), in the log's order. The checkpoint moves only after the broker acknowledged the
 * batch: a broker that is down, or a crash, delays messages and may repeat some, never loses one.
 * Consumers de-duplicate by `id`.
 */
@Injectable()
export class KafkaPublisher implements Reactor<Published>, OnApplicationShutdown {
  readonly name = 'kafka-publisher';
  readonly handles = PUBLISHED_TYPES;
  private producer?: Promise<Producer>;
  private readonly topics: ReturnType<typeof topics>;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka | null,
    env: Environment,
    private readonly users: UserKeys,
  ) {
    this.topics = topics(env);
  }

  get enabled(): boolean {
    return this.kafka !== null;
  }

  async react(batch: Recorded<Published>[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    // Integration events carry the buyer's id, opened (or `erased:<subject>`): consumers hold no keys.
    for (const recorded of (await this.users.reveal(batch, 'id')).events) {
      const outgoing = toIntegrationEvent(recorded);
      if (!outgoing) continue;
      const { envelope } = outgoing;
      const topic = this.topics[outgoing.topic];
      byTopic.set(topic, [
        ...(byTopic.get(topic) ?? []),
        { key: outgoing.key, value: JSON.stringify(envelope), headers: { 'event-id': envelope.id, 'event-type': envelope.type } },
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
