import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Kafka, Producer } from 'kafkajs';
import { Environment } from '../../config.js';
import { idempotentProducer, KAFKA, topics } from '../../kafka.js';
import { signWebhook, type WebhookBody } from './webhook-signature.js';

/**
 * A payment provider: it takes a charge now and reports its outcome later, through the same path
 * a real provider uses (a signed webhook; a Kafka topic once Kafka is configured). Eventix treats
 * every outcome as possibly late, repeated or out of order.
 */
export interface PaymentProvider {
  readonly name: string;
  supports(paymentMethod: string): boolean;
  charge(request: { paymentId: string; attempt: number; amountMinor: number; currency: string; paymentMethod: string }): Promise<{ externalId: string }>;
  refund(request: { paymentId: string; externalId: string | null; amountMinor: number; currency: string }): Promise<void>;
}
export const PAYMENT_PROVIDER = Symbol('PAYMENT_PROVIDER');

/** Test payment methods, as card test modes name them: what each one's charge ends in, and when. */
const TEST_METHODS: Record<string, ({ outcome: 'succeeded' } | { outcome: 'failed'; reason: string }) & { afterMs?: number }> = {
  pm_card_visa: { outcome: 'succeeded' },
  // Succeeds, but the provider reports it only after 6 s: a late outcome, as real providers send them.
  pm_card_visa_delayed: { outcome: 'succeeded', afterMs: 6_000 },
  pm_card_mastercard: { outcome: 'succeeded' },
  pm_card_chargeDeclined: { outcome: 'failed', reason: 'Your card was declined.' },
  pm_card_insufficientFunds: { outcome: 'failed', reason: 'Your card has insufficient funds.' },
  pm_card_expired: { outcome: 'failed', reason: 'Your card has expired.' },
};

const OUTCOME_DELAY_MS = 50;
const DELIVERY_ATTEMPTS = 8;

/**
 * The built-in `test` provider (the default outside production). It decides by payment method,
 * then delivers the outcome the way a real provider would: to the payment-outcomes Kafka topic when
 * Kafka is configured, else to this service's own webhook, signed. It retries with back-off until
 * the delivery is acknowledged, so an outcome may arrive more than once.
 */
@Injectable()
export class TestPaymentProvider implements PaymentProvider, OnApplicationShutdown {
  readonly name = 'test';
  private readonly logger = new Logger(TestPaymentProvider.name);
  private readonly timers = new Set<NodeJS.Timeout>();
  private producer?: Promise<Producer>;

  constructor(
    private readonly env: Environment,
    private readonly http: HttpAdapterHost,
    @Inject(KAFKA) private readonly kafka: Kafka | null,
  ) {}

  supports(paymentMethod: string): boolean {
    return Object.hasOwn(TEST_METHODS, paymentMethod);
  }

  async charge({ paymentId, attempt, paymentMethod }: Parameters<PaymentProvider['charge']>[0]) {
    const externalId = `pi_test_${randomBytes(12).toString('hex')}`;
    const decision = TEST_METHODS[paymentMethod];
    const body: WebhookBody = {
      id: `evt_test_${randomBytes(12).toString('hex')}`,
      type: decision.outcome === 'succeeded' ? 'payment.succeeded' : 'payment.failed',
      data: { paymentId, attempt, externalId, reason: decision.outcome === 'failed' ? decision.reason : null },
    };
    this.later(decision.afterMs ?? OUTCOME_DELAY_MS, () => this.deliver(body, 1));
    return { externalId };
  }

  async refund({ paymentId }: Parameters<PaymentProvider['refund']>[0]) {
    this.logger.log(`Refund of payment ${paymentId} accepted`);
  }

  async onApplicationShutdown() {
    for (const timer of this.timers) clearTimeout(timer);
    await (await this.producer?.catch(() => undefined))?.disconnect();
  }

  /** Through Kafka when it is configured (the payment-outcomes topic), else the signed webhook. */
  private async deliver(body: WebhookBody, attempt: number): Promise<void> {
    try {
      if (this.kafka) await this.publish(body);
      else await this.post(body);
    } catch (error) {
      if (attempt >= DELIVERY_ATTEMPTS) {
        this.logger.error(`Gave up delivering ${body.type} of ${body.data.paymentId}: ${(error as Error).message}`);
        return;
      }
      this.later(100 * 2 ** attempt, () => this.deliver(body, attempt + 1));
    }
  }

  private async post(body: WebhookBody) {
    const payload = JSON.stringify(body);
    const address = this.http.httpAdapter.getHttpServer().address() as AddressInfo | null;
    if (!address) throw new Error('the service is not listening');
    const response = await fetch(`http://127.0.0.1:${address.port}/payments/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'eventix-signature': signWebhook(payload, this.env.PAYMENT_WEBHOOK_SECRET) },
      body: payload,
    });
    if (!response.ok) throw new Error(`webhook answered ${response.status}`);
  }

  private async publish(body: WebhookBody) {
    this.producer ??= (async () => {
      const producer = idempotentProducer(this.kafka!);
      await producer.connect();
      return producer;
    })();
    try {
      const producer = await this.producer;
      await producer.send({ topic: topics(this.env).paymentOutcomes, acks: -1, messages: [{ key: body.data.paymentId, value: JSON.stringify(body) }] });
    } catch (error) {
      this.producer = undefined;
      throw error;
    }
  }

  private later(ms: number, work: () => Promise<void>) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void work();
    }, ms);
    this.timers.add(timer);
  }
}
