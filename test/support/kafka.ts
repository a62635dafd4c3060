import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { ensureTopics } from '../../src/kafka.js';

/** The broker global-setup started (or TEST_KAFKA_BROKERS). */
export const testBrokers = () => process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:19092';

/** Topics of their own for one test file: KAFKA_TOPIC_PREFIX. */
export const topicPrefix = () => `test-${randomUUID().slice(0, 8)}.`;

export type Received = { topic: string; key: string; value: { id: string; type: string; subject: string; data: Record<string, unknown> } };

/** Reads topics from the beginning, as an integration partner would, into `received`. */
export const collect = async (brokers: string, topics: string[]) => {
  const kafka = new Kafka({ clientId: 'eventix-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 20 } });
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
  const received: Received[] = [];
  await ensureTopics(kafka, topics);
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      received.push({ topic, key: message.key!.toString(), value: JSON.parse(message.value!.toString()) });
    },
  });
  return { received, stop: () => consumer.disconnect() };
};

/** A broker of a test's own, on other ports, that the test may stop and start (scripts/kafka.sh). */
export const ownBroker = (instance: string, port: number) => {
  const env = { ...process.env, KAFKA_INSTANCE: instance, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(port + 1) };
  const run = (command: 'start' | 'stop') => execFileSync('scripts/kafka.sh', [command], { env, stdio: 'inherit' });
  return { brokers: `127.0.0.1:${port}`, start: () => run('start'), stop: () => run('stop') };
};
