import { DomainError } from '../domain-error.js';
import type { Decider } from '../event-store/handle-command.js';
import type { BookingStatus } from '../booking/booking.decider.js';
import type { PaymentEvent, PaymentProcessing, PaymentRequested } from './payment.events.js';

// Time, and the booking being paid as its own stream last said, arrive inside the command: decide stays pure.
export type RequestPayment = {
  type: 'RequestPayment';
  data: Omit<PaymentRequested['data'], 'attempt'> & { bookingStatus: BookingStatus; holdExpiresAt: string; now: string };
};
export type MarkProcessing = { type: 'MarkProcessing'; data: PaymentProcessing['data'] };
export type RecordOutcome = {
  type: 'RecordOutcome';
  data: { paymentId: string; attempt: number; outcome: 'succeeded' | 'failed'; externalId: string; reason: string | null };
};
export type RefundPayment = { type: 'RefundPayment'; data: { paymentId: string; reason: string } };
export type RecordRefund = { type: 'RecordRefund'; data: { paymentId: string; refundId: string } };
export type PaymentCommand = RequestPayment | MarkProcessing | RecordOutcome | RefundPayment | RecordRefund;

/** An attempt's status; the read model adds REFUNDED (read/payment/payment.entity.ts). */
export const PAYMENT_ATTEMPT_STATUSES = ['PENDING', 'PROCESSING', 'SUCCESS', 'FAILED'] as const;
export type PaymentStatus = (typeof PAYMENT_ATTEMPT_STATUSES)[number];
export type Payment =
  | { status: 'None' }
  | {
      status: PaymentStatus;
      bookingId: string;
      userId: string;
      amountMinor: number;
      currency: string;
      attempt: number;
      externalId: string | null;
      failureReason: string | null;
      /** A successful payment's money goes back once: requested, then done when the provider accepted it. */
      refund: { status: 'REQUESTED' | 'REFUNDED'; reason: string } | null;
      /** Idempotency-Key → the attempt it started, and with which payment method. */
      attempts: Map<string, { attempt: number; paymentMethod: string }>;
    };

const request = ({ data }: RequestPayment, state: Payment): PaymentEvent[] => {
  const { bookingStatus, holdExpiresAt, now, ...requested } = data;
  const earlier = state.status === 'None' || requested.idempotencyKey === null ? undefined : state.attempts.get(requested.idempotencyKey);
  if (earlier) {
    // A retried request changes nothing, even after the booking moved on; the same key with another body is refused.
    if (earlier.paymentMethod === requested.paymentMethod) return [];
    throw new DomainError('unprocessable', 'This Idempotency-Key was used for another request');
  }
  // A new attempt needs a booking that waits for its payment, within its hold.
  if (bookingStatus === 'CONFIRMED') throw new DomainError('conflict', 'This booking is paid already');
  if (bookingStatus !== 'PENDING') throw new DomainError('not-bookable', `The booking is ${bookingStatus}; it cannot be paid`);
  if (Date.parse(now) >= Date.parse(holdExpiresAt)) throw new DomainError('not-bookable', 'The booking hold has expired; it cannot be paid');
  if (state.status === 'None') return [{ type: 'PaymentRequested', data: { ...requested, attempt: 1 } }];
  if (state.status === 'SUCCESS') throw new DomainError('conflict', 'This booking is paid already');
  if (state.status !== 'FAILED') throw new DomainError('conflict', 'A payment of this booking is in progress');
  return [{ type: 'PaymentRequested', data: { ...requested, attempt: state.attempt + 1 } }];
};

const markProcessing = ({ data }: MarkProcessing, state: Payment): PaymentEvent[] => {
  if (state.status !== 'PENDING' || state.attempt !== data.attempt) return [];
  return [{ type: 'PaymentProcessing', data }];
};

/** Providers report late, twice and out of order: only the first outcome of the current attempt counts. */
const recordOutcome = ({ data }: RecordOutcome, state: Payment): PaymentEvent[] => {
  if (state.status === 'None') throw new DomainError('not-found', 'No such payment');
  if (data.attempt !== state.attempt || (state.status !== 'PENDING' && state.status !== 'PROCESSING')) return [];
  return data.outcome === 'succeeded'
    ? [{ type: 'PaymentSucceeded', data: { paymentId: data.paymentId, attempt: data.attempt, externalId: data.externalId } }]
    : [{ type: 'PaymentFailed', data: { paymentId: data.paymentId, attempt: data.attempt, reason: data.reason ?? 'declined' } }];
};

const requestRefund = ({ data }: RefundPayment, state: Payment): PaymentEvent[] => {
  if (state.status !== 'SUCCESS' || state.refund) return [];
  const { bookingId, amountMinor, currency } = state;
  return [{ type: 'RefundRequested', data: { paymentId: data.paymentId, bookingId, amountMinor, currency, reason: data.reason } }];
};

/** The provider accepted the refund: recorded once, however often its acceptance is reported. */
const recordRefund = ({ data }: RecordRefund, state: Payment): PaymentEvent[] => {
  if (state.status === 'None' || state.refund?.status !== 'REQUESTED') return [];
  const { bookingId, amountMinor, currency, refund } = state;
  return [{ type: 'PaymentRefunded', schemaVersion: 2, data: { paymentId: data.paymentId, bookingId, amountMinor, currency, reason: refund.reason, refundId: data.refundId } }];
};

export const paymentDecider: Decider<Payment, PaymentCommand, PaymentEvent> = {
  initialState: () => ({ status: 'None' }),
  evolve: (state, event) => {
    if (event.type === 'PaymentRequested') {
      const { bookingId, userId, amountMinor, currency, attempt, idempotencyKey } = event.data;
      const attempts = new Map(state.status === 'None' ? [] : state.attempts);
      if (idempotencyKey !== null) attempts.set(idempotencyKey, { attempt, paymentMethod: event.data.paymentMethod });
      return { status: 'PENDING', bookingId, userId, amountMinor, currency, attempt, externalId: null, failureReason: null, refund: null, attempts };
    }
    if (state.status === 'None') return state;
    switch (event.type) {
      case 'PaymentProcessing':
        return { ...state, status: 'PROCESSING', externalId: event.data.externalId };
      case 'PaymentSucceeded':
        return { ...state, status: 'SUCCESS', externalId: event.data.externalId };
      case 'PaymentFailed':
        return { ...state, status: 'FAILED', failureReason: event.data.reason };
      case 'RefundRequested':
        return { ...state, refund: { status: 'REQUESTED', reason: event.data.reason } };
      case 'PaymentRefunded':
        return { ...state, refund: { status: 'REFUNDED', reason: event.data.reason } };
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'RequestPayment':
        return request(command, state);
      case 'MarkProcessing':
        return markProcessing(command, state);
      case 'RecordOutcome':
        return recordOutcome(command, state);
      case 'RefundPayment':
        return requestRefund(command, state);
      case 'RecordRefund':
        return recordRefund(command, state);
    }
  },
};
