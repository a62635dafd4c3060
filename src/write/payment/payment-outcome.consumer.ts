import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, ValidationPipe } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Consumer, Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { v5 as uuidv5 } from 'uuid';
import { Environment } from '../../config.js';
import { KAFKA, topics } from '../../kafka.js';
import { WebhookPayload } from './payment.dto.js';
import { RecordPaymentOutcomeMessage } from './payment.handler.js';

const CONSUMER = 'payment-outcomes';
// processed_events keys are UUIDs; providers' message ids are not.
const MESSAGE_ID_NAMESPACE = '8f0b6a52-1f5e-4f0e-9d0e-2d7c6f4b3a91';
const validOutcome = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });

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

  async onApplicationBootstrap() {
    if (!this.kafka) return;
    this.consumer = this.kafka.consumer({ groupId: `${this.env.KAFKA_TOPIC_PREFIX}${CONSUMER}`, retry: { retries: 10 } });
    // Started in the background: the service answers HTTP while the broker is still coming up.
    void this.run(this.consumer).catch((error: Error) => this.logger.error(`Payment outcomes are not consumed: ${error.message}`));
  }

  async onApplicationShutdown() {
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private async run(consumer: Consumer) {
    await consumer.connect();
    await consumer.subscribe({ topic: topics(this.env).paymentOutcomes, fromBeginning: true });
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
