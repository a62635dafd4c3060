import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Environment } from '../../config.js';
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

/** Test payment methods, as card test modes name them: what each one's charge ends in. */
const TEST_METHODS: Record<string, { outcome: 'succeeded' } | { outcome: 'failed'; reason: string }> = {
  pm_card_visa: { outcome: 'succeeded' },
  pm_card_mastercard: { outcome: 'succeeded' },
  pm_card_chargeDeclined: { outcome: 'failed', reason: 'Your card was declined.' },
  pm_card_insufficientFunds: { outcome: 'failed', reason: 'Your card has insufficient funds.' },
  pm_card_expired: { outcome: 'failed', reason: 'Your card has expired.' },
};

const OUTCOME_DELAY_MS = 50;
const DELIVERY_ATTEMPTS = 8;

/**
 * The built-in `test` provider (the default outside production). It decides by payment method,
 * then posts the outcome to this service's own webhook, signed like a real provider's, retrying
 * with back-off until it is acknowledged (an outcome may so arrive more than once).
 */
@Injectable()
export class TestPaymentProvider implements PaymentProvider, OnApplicationShutdown {
  readonly name = 'test';
  private readonly logger = new Logger(TestPaymentProvider.name);
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly env: Environment,
    private readonly http: HttpAdapterHost,
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
    this.later(OUTCOME_DELAY_MS, () => this.deliver(body, 1));
    return { externalId };
  }

  async refund({ paymentId }: Parameters<PaymentProvider['refund']>[0]) {
    this.logger.log(`Refund of payment ${paymentId} accepted`);
  }

  onApplicationShutdown() {
    for (const timer of this.timers) clearTimeout(timer);
  }

  private async deliver(body: WebhookBody, attempt: number): Promise<void> {
    const payload = JSON.stringify(body);
    const address = this.http.httpAdapter.getHttpServer().address() as AddressInfo | null;
    try {
      if (!address) throw new Error('the service is not listening');
      const response = await fetch(`http://127.0.0.1:${address.port}/payments/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'eventix-signature': signWebhook(payload, this.env.PAYMENT_WEBHOOK_SECRET) },
        body: payload,
      });
      if (!response.ok) throw new Error(`webhook answered ${response.status}`);
    } catch (error) {
      if (attempt >= DELIVERY_ATTEMPTS) {
        this.logger.error(`Gave up delivering ${body.type} of ${body.data.paymentId}: ${(error as Error).message}`);
        return;
      }
      this.later(100 * 2 ** attempt, () => this.deliver(body, attempt + 1));
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
