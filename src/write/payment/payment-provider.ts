import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Kafka, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { ADVISORY_LOCKS } from '../../advisory-locks.js';
import { Environment } from '../../config.js';
import { idempotentProducer, KAFKA, topics } from '../../kafka.js';
import { signWebhook, type WebhookBody } from './webhook-signature.js';

/**
 * A payment provider: it takes a charge now and reports its outcome later, through the same path
 * a real provider uses (a signed webhook; a Kafka topic once Kafka is configured). Eventix treats
 * every outcome as possibly late, repeated or out of order.
 *
 * Every call carries an idempotency key, as real providers take them (Stripe's `Idempotency-Key`):
 * however often a call is repeated with its key — a retry, a race, a restart — the provider acts
 * once and answers each repetition as it answered the first.
 */
export interface PaymentProvider {
  readonly name: string;
  supports(paymentMethod: string): boolean;
  charge(request: { idempotencyKey: string; paymentId: string; attempt: number; amountMinor: number; currency: string; paymentMethod: string }): Promise<{ externalId: string }>;
  /** Resolves once the provider accepted the refund; rejects when it refused it or did not answer (then it is asked again, with the same key). */
  refund(request: { idempotencyKey: string; paymentId: string; externalId: string; amountMinor: number; currency: string }): Promise<{ refundId: string }>;
}
export const PAYMENT_PROVIDER = Symbol('PAYMENT_PROVIDER');

/** The idempotency keys Eventix sends: one charge per payment attempt, one refund per payment. */
export const chargeKey = (paymentId: string, attempt: number) => `charge-${paymentId}-${attempt}`;
export const refundKey = (paymentId: string) => `refund-${paymentId}`;

type TestMethod = ({ outcome: 'succeeded' } | { outcome: 'failed'; reason: string }) & {
  /** The outcome is reported only after this long: a late outcome, as real providers send them. */
  afterMs?: number;
  /** Refunds of this charge are refused this many times before one is accepted. */
  refundRefusals?: number;
  /** A refund is accepted at once but answered only after this long: an answer lost to a timeout or a crash. */
  refundAnswerAfterMs?: number;
};

/** Test payment methods, as card test modes name them: what each one's charge ends in, and when. */
const TEST_METHODS: Record<string, TestMethod> = {
  pm_card_visa: { outcome: 'succeeded' },
  pm_card_visa_delayed: { outcome: 'succeeded', afterMs: 6_000 },
  pm_card_visa_refund_flaky: { outcome: 'succeeded', refundRefusals: 2 },
  pm_card_visa_refund_slow: { outcome: 'succeeded', refundAnswerAfterMs: 5_000 },
  pm_card_mastercard: { outcome: 'succeeded' },
  pm_card_chargeDeclined: { outcome: 'failed', reason: 'Your card was declined.' },
  pm_card_insufficientFunds: { outcome: 'failed', reason: 'Your card has insufficient funds.' },
  pm_card_expired: { outcome: 'failed', reason: 'Your card has expired.' },
};

/** The provider's refusal of a request: Eventix asks again later. */
export class ProviderRefusal extends Error {
  override name = 'ProviderRefusal';
}

const OUTCOME_DELAY_MS = 50;
const DELIVERY_ATTEMPTS = 8;

/**
 * The built-in `test` provider (the default outside production). It decides by payment method,
 * then delivers the outcome the way a real provider would: to the payment-outcomes Kafka topic when
 * Kafka is configured, else to this service's own webhook, signed. It retries with back-off until
 * the delivery is acknowledged, so an outcome may arrive more than once.
 *
 * Like a real provider it keeps its own ledger, apart from Eventix's data (the schema
 * `test_payment_provider`): every charge and refund under its idempotency key, so a repeated key
 * finds what the first call did, also after this process restarted. The ledger is what tests
 * count when they ask how often a card was charged or refunded.
 */
@Injectable()
export class TestPaymentProvider implements PaymentProvider, OnModuleInit, OnApplicationShutdown {
  readonly name = 'test';
  private readonly logger = new Logger(TestPaymentProvider.name);
  private readonly timers = new Set<NodeJS.Timeout>();
  private producer?: Promise<Producer>;

  constructor(
    private readonly env: Environment,
    private readonly http: HttpAdapterHost,
    private readonly db: DataSource,
    @Inject(KAFKA) private readonly kafka: Kafka | null,
  ) {}

  async onModuleInit() {
    // Instances starting at once on one database would race to create it.
    await this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${ADVISORY_LOCKS.testPaymentProviderLedger})`);
      await tx.query(`CREATE SCHEMA IF NOT EXISTS test_payment_provider`);
      await tx.query(`
      CREATE TABLE IF NOT EXISTS test_payment_provider.operations (
        idempotency_key TEXT PRIMARY KEY,
        kind            TEXT NOT NULL CHECK (kind IN ('charge', 'refund')),
        payment_id      UUID NOT NULL,
        id              TEXT NOT NULL UNIQUE,
        payment_method  TEXT NOT NULL,
        amount_minor    BIGINT NOT NULL,
        currency        TEXT NOT NULL,
        calls           INT NOT NULL DEFAULT 1,
        accepted_at     TIMESTAMPTZ,
        created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    });
  }

  supports(paymentMethod: string): boolean {
    return Object.hasOwn(TEST_METHODS, paymentMethod);
  }

  async charge({ idempotencyKey, paymentId, attempt, amountMinor, currency, paymentMethod }: Parameters<PaymentProvider['charge']>[0]) {
    const { id, first } = await this.record({
      key: idempotencyKey, kind: 'charge', paymentId, id: `pi_test_${randomBytes(12).toString('hex')}`, paymentMethod, amountMinor, currency, accepted: true,
    });
    if (!first) return { externalId: id };
    const decision = TEST_METHODS[paymentMethod];
    const body: WebhookBody = {
      id: `evt_test_${randomBytes(12).toString('hex')}`,
      type: decision.outcome === 'succeeded' ? 'payment.succeeded' : 'payment.failed',
      data: { paymentId, attempt, externalId: id, reason: decision.outcome === 'failed' ? decision.reason : null },
    };
    this.later(decision.afterMs ?? OUTCOME_DELAY_MS, () => this.deliver(body, 1));
    return { externalId: id };
  }

  async refund({ idempotencyKey, paymentId, externalId, amountMinor, currency }: Parameters<PaymentProvider['refund']>[0]) {
    const [charge]: { payment_method: string; amount_minor: string }[] = await this.db.query(
      `SELECT payment_method, amount_minor FROM test_payment_provider.operations WHERE kind = 'charge' AND id = $1`,
      [externalId],
    );
    if (!charge) throw new ProviderRefusal(`No charge ${externalId}`);
    if (amountMinor > Number(charge.amount_minor)) throw new ProviderRefusal(`A refund of ${amountMinor} exceeds the charge of ${charge.amount_minor}`);
    const method = TEST_METHODS[charge.payment_method];
    const refund = await this.record({
      key: idempotencyKey, kind: 'refund', paymentId, id: `re_test_${randomBytes(12).toString('hex')}`, paymentMethod: charge.payment_method, amountMinor, currency, accepted: false,
    });
    if (!refund.accepted) {
      if (refund.calls <= (method.refundRefusals ?? 0)) throw new ProviderRefusal(`Refund ${refund.id} declined (${refund.calls} of ${method.refundRefusals}): try again`);
      await this.db.query(`UPDATE test_payment_provider.operations SET accepted_at = now() WHERE idempotency_key = $1 AND accepted_at IS NULL`, [idempotencyKey]);
      this.logger.log(`Refund ${refund.id} of payment ${paymentId} accepted`);
    }
    if (method.refundAnswerAfterMs) await new Promise((resolve) => setTimeout(resolve, method.refundAnswerAfterMs).unref());
    return { refundId: refund.id };
  }

  /** Notes a call under its key: the operation's id, whether this call made it, how often it was asked, and whether it is accepted. */
  private async record(call: {
    key: string; kind: 'charge' | 'refund'; paymentId: string; id: string; paymentMethod: string; amountMinor: number; currency: string; accepted: boolean;
  }) {
    const [recorded]: { id: string; calls: number; accepted: boolean; first: boolean }[] = await this.db.query(
      `INSERT INTO test_payment_provider.operations (idempotency_key, kind, payment_id, id, payment_method, amount_minor, currency, accepted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 THEN now() END)
       ON CONFLICT (idempotency_key) DO UPDATE SET calls = operations.calls + 1
       RETURNING id, calls, accepted_at IS NOT NULL AS accepted, xmax = 0 AS first`,
      [call.key, call.kind, call.paymentId, call.id, call.paymentMethod, call.amountMinor, call.currency, call.accepted],
    );
    return recorded;
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
