import { Inject, Logger } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { bookingDecider } from '../booking/booking.decider.js';
import { bookingStream } from '../booking/booking.events.js';
import { DomainError } from '../domain-error.js';
import { EVENT_STORE, type EventStore, latestPosition, type MessageContext, type Position } from '../event-store/event-store.port.js';
import { handleCommand, loadState } from '../event-store/handle-command.js';
import { type Payment, type PaymentCommand, paymentDecider } from './payment.decider.js';
import { paymentIdOf, paymentStream } from './payment.events.js';
import { chargeKey, PAYMENT_PROVIDER, type PaymentProvider } from './payment-provider.js';
import type { WebhookBody } from './webhook-signature.js';

type Answer = { paymentId: string; status: Exclude<Payment['status'], 'None'>; position: Position | undefined };

export class RequestPaymentMessage extends Command<Answer> {
  constructor(
    readonly request: { bookingId: string; userId: string; paymentMethod: string; idempotencyKey: string | null },
    readonly context: MessageContext,
  ) {
    super();
  }
}

export class RecordPaymentOutcomeMessage extends Command<{ position: Position | undefined }> {
  constructor(
    readonly outcome: WebhookBody,
    readonly context: MessageContext,
  ) {
    super();
  }
}

export class RefundPaymentMessage extends Command<{ position: Position | undefined }> {
  constructor(
    readonly paymentId: string,
    readonly reason: string,
    readonly context: MessageContext,
  ) {
    super();
  }
}

const CHARGE_ANSWER_KEPT_MS = 60_000;

const runOnPayment = (store: EventStore, command: PaymentCommand, context: MessageContext) =>
  handleCommand(store, paymentStream(command.data.paymentId), paymentDecider, command, context);

/**
 * Asks for a successful payment's money to go back, once however often it is asked: the request is
 * recorded, and the refund worker has the provider carry it out (refund.worker.ts).
 */
const requestRefund = async (store: EventStore, paymentId: string, reason: string, context: MessageContext) => {
  const requested = await runOnPayment(store, { type: 'RefundPayment', data: { paymentId, reason } }, context);
  return { position: requested.position };
};

@CommandHandler(RequestPaymentMessage)
export class RequestPaymentHandler implements ICommandHandler<RequestPaymentMessage> {
  /** Charges on their way to the provider, by idempotency key: requests racing for one attempt share its call. */
  private readonly charging = new Map<string, Promise<{ externalId: string }>>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
  ) {}

  async execute({ request, context }: RequestPaymentMessage): Promise<Answer> {
    const { bookingId, userId, paymentMethod, idempotencyKey } = request;
    const { state: booking } = await loadState(this.store, bookingStream(bookingId), bookingDecider);
    // Someone else's booking is a 404, not a 403: we do not confirm that it exists.
    if (booking.status === 'None' || booking.placed.userId !== userId) throw new DomainError('not-found', 'No such booking');
    if (!this.provider.supports(paymentMethod)) {
      throw new DomainError('invalid', `The ${this.provider.name} payment provider does not know the payment method ${paymentMethod}`);
    }

    const paymentId = paymentIdOf(bookingId);
    const { placed } = booking;
    const requested = await runOnPayment(
      this.store,
      {
        type: 'RequestPayment',
        data: {
          paymentId, bookingId, userId, amountMinor: placed.totalMinor, currency: placed.currency, provider: this.provider.name, paymentMethod, idempotencyKey,
          bookingStatus: booking.status, holdExpiresAt: placed.expiresAt, now: new Date().toISOString(),
        },
      },
      context,
    );
    let { state, position } = requested;
    if (state.status === 'PENDING') {
      // New, or requested before and maybe never sent (a crash in between, a racing retry): the
      // attempt's idempotency key makes the provider charge once, and this instance calls it once.
      const { externalId } = await this.chargeOnce({
        idempotencyKey: chargeKey(paymentId, state.attempt), paymentId, attempt: state.attempt, amountMinor: state.amountMinor, currency: state.currency, paymentMethod,
      });
      const processing = await runOnPayment(this.store, { type: 'MarkProcessing', data: { paymentId, attempt: state.attempt, externalId } }, context);
      ({ state } = processing);
      position = latestPosition(position, processing.position);
    }
    if (state.status === 'None') throw new Error('unreachable: a requested payment has a state');
    return { paymentId, status: state.status, position };
  }

  /**
   * One call to the provider per attempt in this instance: requests racing for it share the call,
   * and one that read the attempt as PENDING just before it was marked PROCESSING finds the answer
   * for a minute after. (Across instances, the provider's idempotency key keeps it to one charge.)
   */
  private chargeOnce(request: Parameters<PaymentProvider['charge']>[0]) {
    const { idempotencyKey } = request;
    let charging = this.charging.get(idempotencyKey);
    if (!charging) {
      charging = this.provider.charge(request);
      this.charging.set(idempotencyKey, charging);
      const forget = () => this.charging.delete(idempotencyKey);
      charging.then(() => setTimeout(forget, CHARGE_ANSWER_KEPT_MS).unref(), forget);
    }
    return charging;
  }
}

/**
 * A provider's outcome. A success confirms the booking if it is still PENDING within its hold;
 * otherwise (expired, cancelled, confirmed by another payment) the money goes back. Every step
 * is idempotent, so a repeated or retried delivery completes whatever a crash interrupted.
 */
@CommandHandler(RecordPaymentOutcomeMessage)
export class RecordPaymentOutcomeHandler implements ICommandHandler<RecordPaymentOutcomeMessage> {
  private readonly logger = new Logger(RecordPaymentOutcomeHandler.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly db: DataSource,
  ) {}

  async execute({ outcome, context }: RecordPaymentOutcomeMessage) {
    const { paymentId, attempt, externalId, reason } = outcome.data;
    const recorded = await runOnPayment(
      this.store,
      { type: 'RecordOutcome', data: { paymentId, attempt, outcome: outcome.type === 'payment.succeeded' ? 'succeeded' : 'failed', externalId, reason } },
      context,
    ).catch((error: unknown) => (error instanceof DomainError && error.kind === 'not-found' ? undefined : Promise.reject(error)));
    if (!recorded) return this.park(outcome);
    const payment = recorded.state;
    if (payment.status !== 'SUCCESS' || payment.refund) return { position: recorded.position };

    const ticketReference = `TKT-${randomBytes(16).toString('base64url')}`;
    try {
      const confirmed = await handleCommand(
        this.store,
        bookingStream(payment.bookingId),
        bookingDecider,
        { type: 'ConfirmBooking', data: { bookingId: payment.bookingId, paymentId, ticketReference, now: new Date().toISOString() } },
        context,
      );
      return { position: latestPosition(recorded.position, confirmed.position) };
    } catch (error) {
      if (!(error instanceof DomainError) || error.kind !== 'conflict') throw error;
      this.logger.warn(`Payment ${paymentId} succeeded for booking ${payment.bookingId}, which ${error.message.toLowerCase()}: refunding`);
      const refunded = await requestRefund(this.store, paymentId, 'booking-not-confirmable', context);
      return { position: latestPosition(recorded.position, refunded.position) };
    }
  }

  /**
   * An outcome, correctly signed, of a payment Eventix never requested: refusing it would make the
   * provider retry it for days, so it is accepted and kept for an operator (/health counts them).
   */
  private async park(outcome: WebhookBody) {
    this.logger.warn(`Outcome ${outcome.id} is for payment ${outcome.data.paymentId}, which Eventix does not know: parked`);
    await this.db.query(
      `INSERT INTO projections.unmatched_payment_outcomes (provider_event_id, payment_id, body) VALUES ($1, $2, $3) ON CONFLICT (provider_event_id) DO NOTHING`,
      [outcome.id, outcome.data.paymentId, outcome],
    );
    return { position: undefined };
  }
}

@CommandHandler(RefundPaymentMessage)
export class RefundPaymentHandler implements ICommandHandler<RefundPaymentMessage> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ paymentId, reason, context }: RefundPaymentMessage) {
    return requestRefund(this.store, paymentId, reason, context);
  }
}
