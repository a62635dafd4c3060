import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ADVISORY_LOCKS, exclusively } from '../../advisory-locks.js';
import { Environment } from '../../config.js';
import { Periodic } from '../../periodic.js';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import { handleCommand, loadState } from '../event-store/handle-command.js';
import { paymentDecider } from './payment.decider.js';
import { paymentStream } from './payment.events.js';
import { PAYMENT_PROVIDER, type PaymentProvider, refundKey } from './payment-provider.js';

const SWEEP_MS = 1_000;
const SWEEP_LIMIT = 50;
/** Refunds asked of the provider at once. */
const CONCURRENCY = 8;
/** A provider that has not answered by then is asked again later (with the same key). */
const PROVIDER_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_SECONDS = 3_600;

/** After the n-th failure: base × 2^(n-1), at most an hour, with half of it random so that many refunds do not retry in step. */
export const refundBackoffSeconds = (failures: number, baseSeconds: number, random = Math.random()) => {
  const delay = Math.min(baseSeconds * 2 ** (failures - 1), MAX_BACKOFF_SECONDS);
  return delay / 2 + (delay / 2) * random;
};

/**
 * Carries out the refunds the log asked for (RefundRequested, noted in projections.refunds_due by
 * the follow-ups reactor): asks the provider, with the payment's one refund key, and records
 * PaymentRefunded only once it accepted. A refusal or no answer is asked again with backoff, for
 * as long as it takes, also after a restart: the row stays until the refund is recorded. Asking
 * again is safe whatever happened before — the provider refunds a key once and answers a repeated
 * key with the refund it made — so a crash between its acceptance and our record ends in one
 * refund. One instance sweeps at a time (a transaction-scoped advisory lock, as the hold expiry).
 */
@Injectable()
export class RefundWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RefundWorker.name);
  private readonly sweeps = new Periodic(() => this.sweep(), (error) => this.logger.warn(`Refund sweep failed: ${error.message}`));

  constructor(
    private readonly db: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap() {
    this.sweeps.start(SWEEP_MS);
  }

  onApplicationShutdown() {
    return this.sweeps.stop();
  }

  /** One sweep over the refunds due now; answers how many the provider accepted. */
  sweep(): Promise<number> {
    return exclusively(this.db, ADVISORY_LOCKS.sweeps.refunds, 0, async (tx) => {
      const due: { payment_id: string; attempts: number }[] = await tx.query(
        `SELECT payment_id, attempts FROM projections.refunds_due WHERE due_at <= now() ORDER BY due_at LIMIT $1`,
        [SWEEP_LIMIT],
      );
      let accepted = 0;
      for (let i = 0; i < due.length; i += CONCURRENCY) {
        const outcomes = await Promise.all(due.slice(i, i + CONCURRENCY).map((row) => this.refund(row.payment_id, row.attempts)));
        accepted += outcomes.filter(Boolean).length;
      }
      return accepted;
    });
  }

  /** Asks the provider for one payment's refund; true when it is recorded. Its row is written outside the sweep's transaction, which only reads. */
  private async refund(paymentId: string, attempts: number): Promise<boolean> {
    const loaded = await loadState(this.store, paymentStream(paymentId), paymentDecider);
    const payment = loaded.state;
    if (payment.status === 'None' || payment.refund?.status !== 'REQUESTED' || !payment.externalId) {
      // Recorded already (a sweep before a crash, or the reactor noted an old request again), or nothing to refund.
      await this.db.query(`DELETE FROM projections.refunds_due WHERE payment_id = $1`, [paymentId]);
      return false;
    }
    try {
      const { amountMinor, currency, externalId } = payment;
      const { refundId } = await withTimeout(
        this.provider.refund({ idempotencyKey: refundKey(paymentId), paymentId, externalId, amountMinor, currency }),
        PROVIDER_TIMEOUT_MS,
      );
      const context = { correlationId: paymentId, causationId: `refund:${refundId}`, userId: 'system:refunds' };
      // Decided on the stream as read before asking: if it moved meanwhile, the append conflicts and handleCommand reads it again.
      await handleCommand(this.store, paymentStream(paymentId), paymentDecider, { type: 'RecordRefund', data: { paymentId, refundId } }, context, loaded);
      await this.db.query(`DELETE FROM projections.refunds_due WHERE payment_id = $1`, [paymentId]);
      this.logger.log(`Refund ${refundId} of payment ${paymentId} accepted after ${attempts + 1} attempt(s)`);
      return true;
    } catch (error) {
      const delay = refundBackoffSeconds(attempts + 1, this.env.REFUND_RETRY_BASE_SECONDS);
      await this.db.query(
        `UPDATE projections.refunds_due SET attempts = attempts + 1, last_error = $2, due_at = now() + make_interval(secs => $3) WHERE payment_id = $1`,
        [paymentId, (error as Error).message, delay],
      );
      this.logger.warn(`Refund of payment ${paymentId} not accepted (attempt ${attempts + 1}): ${(error as Error).message}; asking again in ${delay.toFixed(1)} s`);
      return false;
    }
  }
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the provider did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};
