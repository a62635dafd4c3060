import { Global, Logger, Module } from '@nestjs/common';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { Environment } from './config.js';
import { pause } from './pause.js';

/** The Kafka client when KAFKA_BROKERS is set; null when it is not (nothing is published, the checkpoint waits). */
export const KAFKA = Symbol('KAFKA');

export const topics = (env: Pick<Environment, 'KAFKA_TOPIC_PREFIX'>) => ({
  bookings: `${env.KAFKA_TOPIC_PREFIX}bookings`,
  payments: `${env.KAFKA_TOPIC_PREFIX}payments`,
  events: `${env.KAFKA_TOPIC_PREFIX}events`,
  tickets: `${env.KAFKA_TOPIC_PREFIX}tickets`,
  paymentOutcomes: `${env.KAFKA_TOPIC_PREFIX}payment-outcomes`,
});

const toNestLevel = (level: logLevel) => (level <= logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'debug');

/**
 * Creates the topics that do not exist yet and waits until every partition has a leader: a topic
 * just created (here, or by another client a moment ago) refuses subscribers until then.
 */
export const ensureTopics = async (kafka: Kafka, names: string[]): Promise<void> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Only the missing ones: kafkajs logs an error for every topic that exists already.
    const existing = new Set(await admin.listTopics());
    const missing = names.filter((name) => !existing.has(name));
    if (missing.length > 0) await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true }).catch(() => false);
    for (let attempt = 0; ; attempt++) {
      const ready = await admin
        .fetchTopicMetadata({ topics: names })
        .then(({ topics }) => topics.length === names.length && topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
        .catch(() => false);
      if (ready) return;
      if (attempt >= 40) throw new Error(`Kafka topics ${names.join(', ')} have no leader after 10 s`);
      await pause(250);
    }
  } finally {
    await admin.disconnect();
  }
};

/** A producer that waits for every in-sync replica and never writes a message twice on a retry. */
export const idempotentProducer = (kafka: Kafka): Producer =>
  kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });

@Global()
@Module({
  providers: [
    {
      provide: KAFKA,
      inject: [Environment],
      useFactory: (env: Environment) => {
        if (!env.KAFKA_BROKERS) return null;
        const logger = new Logger('Kafka');
        return new Kafka({
          clientId: 'eventix',
          brokers: env.KAFKA_BROKERS,
          connectionTimeout: 3_000,
          retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
          logLevel: logLevel.WARN,
          logCreator: () => ({ namespace, level, log: { message, ...extra } }) =>
            logger[toNestLevel(level)](`${namespace}: ${message} ${JSON.stringify(extra)}`),
        });
      },
    },
  ],
  exports: [KAFKA],
})
export class KafkaModule {}
