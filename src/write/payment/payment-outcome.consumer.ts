import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Consumer, Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { v5 as uuidv5 } from 'uuid';
import { Environment } from '../../config.js';
import { ensureTopics, KAFKA, topics } from '../../kafka.js';
import { WebhookPayload } from './payment.dto.js';
import { RecordPaymentOutcomeMessage } from './payment.handler.js';
import { InputValidationPipe } from '../../validation.js';
import { pause } from '../../pause.js';

const CONSUMER = 'payment-outcomes';
// processed_events keys are UUIDs; providers' message ids are not.
const MESSAGE_ID_NAMESPACE = '8f0b6a52-1f5e-4f0e-9d0e-2d7c6f4b3a91';
const validOutcome = new InputValidationPipe();

/**
 * Payment-provider outcomes from Kafka: an entry point, like a controller. A message is turned into
 * the same command as a webhook; one that was processed before (processed_events) changes nothing,
 * and the command itself is idempotent too, so a crash between the two is harmless. The offset is
 * committed after the message was handled: a crash redelivers, never drops.
 */
@Injectable()
export class PaymentOutcomeConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PaymentOutcomeConsumer.name);
  private consumer?: Consumer;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka | null,
    private readonly commands: CommandBus,
    private readonly db: DataSource,
    private readonly env: Environment,
  ) {}

  private stopped = false;

  onApplicationBootstrap() {
    // In the background: the service answers HTTP while the broker is away or still coming up.
    if (this.kafka) void this.keepConsuming(this.kafka);
  }

  async onApplicationShutdown() {
    this.stopped = true;
    await this.consumer?.disconnect().catch(() => undefined);
  }

  /** Starts the consumer, and starts it again whenever it stops on an error kafkajs does not retry itself. */
  private async keepConsuming(kafka: Kafka) {
    while (!this.stopped) {
      // kafkajs restarts a consumer after a retriable crash on a timer of its own: not once we are shutting down.
      const consumer = kafka.consumer({
        groupId: `${this.env.KAFKA_TOPIC_PREFIX}${CONSUMER}`,
        retry: { retries: 10, restartOnFailure: async () => !this.stopped },
      });
      this.consumer = consumer;
      // A crash kafkajs restarts by itself disconnects first: that consumer lives on, so only a crash it
      // gives up on, or our own shutdown, ends this one (ending it on any disconnect left it running beside the next).
      const crashed = new Promise<void>((resolve) => {
        consumer.on(consumer.events.CRASH, ({ payload }) => !payload.restart && resolve());
        consumer.on(consumer.events.DISCONNECT, () => this.stopped && resolve());
      });
      try {
        await this.run(kafka, consumer);
        await crashed;
      } catch (error) {
        if (!this.stopped) this.logger.warn(`Payment outcomes: ${(error as Error).message}; trying again in 5 s`);
      }
      await consumer.disconnect().catch(() => undefined);
      if (!this.stopped) await pause(5_000);
    }
  }

  private async run(kafka: Kafka, consumer: Consumer) {
    const topic = topics(this.env).paymentOutcomes;
    await ensureTopics(kafka, [topic]);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        let outcome: WebhookPayload;
        try {
          outcome = await validOutcome.transform(JSON.parse(message.value?.toString() ?? ''), { type: 'body', metatype: WebhookPayload });
        } catch (error) {
          this.logger.error(`Skipped a malformed payment outcome (offset ${message.offset}): ${(error as Error).message}`);
          return;
        }
        await this.handle(outcome);
      },
    });
  }

  async handle(outcome: WebhookPayload) {
    const eventId = uuidv5(outcome.id, MESSAGE_ID_NAMESPACE);
    const [seen] = await this.db.query(`SELECT 1 FROM booking.processed_events WHERE projector = $1 AND event_id = $2`, [CONSUMER, eventId]);
    if (seen) return;
    const context = { correlationId: randomUUID(), causationId: `provider:${outcome.id}`, userId: null };
    await this.commands.execute(new RecordPaymentOutcomeMessage(outcome, context));
    await this.db.query(`INSERT INTO booking.processed_events (projector, event_id, event_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
      CONSUMER,
      eventId,
      outcome.type,
    ]);
  }
}
