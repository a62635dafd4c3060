import { specification } from '../../../test/support/given.js';
import { paymentDecider, type RecordOutcome, type RequestPayment } from './payment.decider.js';
import type { PaymentEvent, PaymentRequested } from './payment.events.js';

const given = specification(paymentDecider);
const paymentId = 'p-1';
const requestData = { paymentId, bookingId: 'b-1', userId: 'alice', amountMinor: 9000, currency: 'USD', provider: 'test', paymentMethod: 'pm_card_visa' };
const booking = { bookingStatus: 'PENDING', holdExpiresAt: '2030-01-01T10:10:00.000Z', now: '2030-01-01T10:05:00.000Z' } as const;
const request = (idempotencyKey: string | null, changes: Partial<RequestPayment['data']> = {}): RequestPayment => ({
  type: 'RequestPayment',
  data: { ...requestData, ...booking, idempotencyKey, ...changes },
});
const requested = (attempt: number, idempotencyKey: string | null): PaymentRequested => ({
  type: 'PaymentRequested',
  data: { ...requestData, attempt, idempotencyKey },
});
const processing = (attempt: number): PaymentEvent => ({ type: 'PaymentProcessing', data: { paymentId, attempt, externalId: `pi_${attempt}` } });
const outcome = (attempt: number, result: 'succeeded' | 'failed'): RecordOutcome => ({
  type: 'RecordOutcome',
  data: { paymentId, attempt, outcome: result, externalId: `pi_${attempt}`, reason: result === 'failed' ? 'Your card was declined.' : null },
});
const succeeded = (attempt: number): PaymentEvent => ({ type: 'PaymentSucceeded', data: { paymentId, attempt, externalId: `pi_${attempt}` } });
const failed = (attempt: number): PaymentEvent => ({ type: 'PaymentFailed', data: { paymentId, attempt, reason: 'Your card was declined.' } });

describe('payment', () => {
  it('starts the first attempt', () => given().when(request('k-1')).then(requested(1, 'k-1')));
  it('changes nothing when the same Idempotency-Key comes again', () => given(requested(1, 'k-1'), processing(1)).when(request('k-1')).then());
  it('refuses the same Idempotency-Key with another payment method', () =>
    given(requested(1, 'k-1')).when(request('k-1', { paymentMethod: 'pm_card_chargeDeclined' })).thenFails('unprocessable'));
  it('refuses a second payment while one is in progress', () =>
    given(requested(1, 'k-1'), processing(1)).when(request('k-2')).thenFails('conflict'));
  it('tries again after a failure', () => given(requested(1, 'k-1'), processing(1), failed(1)).when(request('k-2')).then(requested(2, 'k-2')));
  it('refuses to pay twice', () => given(requested(1, 'k-1'), processing(1), succeeded(1)).when(request('k-2')).thenFails('conflict'));

  it('refuses to start paying a booking that is paid already', () => given().when(request('k-1', { bookingStatus: 'CONFIRMED' })).thenFails('conflict'));
  it('refuses to start paying a cancelled booking', () => given().when(request('k-1', { bookingStatus: 'CANCELLED' })).thenFails('not-bookable'));
  it('refuses to start paying once the hold has expired, to the millisecond', () => {
    given().when(request('k-1', { now: '2030-01-01T10:09:59.999Z' })).then(requested(1, 'k-1'));
    given().when(request('k-1', { now: '2030-01-01T10:10:00.000Z' })).thenFails('not-bookable');
    given(requested(1, 'k-1'), processing(1), failed(1)).when(request('k-2', { now: '2030-01-01T10:10:00.000Z' })).thenFails('not-bookable');
  });
  it('answers a retried request even after the booking moved on', () => {
    given(requested(1, 'k-1'), processing(1), succeeded(1)).when(request('k-1', { bookingStatus: 'CONFIRMED' })).then();
    given(requested(1, 'k-1'), processing(1)).when(request('k-1', { bookingStatus: 'CANCELLED', now: '2030-01-01T11:00:00.000Z' })).then();
  });

  it('records a success', () => given(requested(1, 'k-1'), processing(1)).when(outcome(1, 'succeeded')).then(succeeded(1)));
  it('records a failure with its reason', () => given(requested(1, 'k-1'), processing(1)).when(outcome(1, 'failed')).then(failed(1)));
  it('ignores a duplicate outcome', () => given(requested(1, 'k-1'), processing(1), succeeded(1)).when(outcome(1, 'succeeded')).then());
  it('ignores a late outcome of an earlier attempt', () =>
    given(requested(1, 'k-1'), processing(1), failed(1), requested(2, 'k-2'), processing(2)).when(outcome(1, 'succeeded')).then());
  it('ignores a contradicting outcome after the first', () =>
    given(requested(1, 'k-1'), processing(1), failed(1)).when(outcome(1, 'succeeded')).then());

  describe('refunds', () => {
    const refund = { type: 'RefundPayment', data: { paymentId, reason: 'booking-not-pending' } } as const;
    const accepted = { type: 'RecordRefund', data: { paymentId, refundId: 're_1' } } as const;
    const requestedRefund: PaymentEvent = { type: 'RefundRequested', data: { paymentId, bookingId: 'b-1', amountMinor: 9000, currency: 'USD', reason: 'booking-not-pending' } };
    const refunded: PaymentEvent = {
      type: 'PaymentRefunded', schemaVersion: 2, data: { paymentId, bookingId: 'b-1', amountMinor: 9000, currency: 'USD', reason: 'booking-not-pending', refundId: 're_1' },
    };

    it('requests the refund of a success once', () => {
      given(requested(1, 'k-1'), processing(1), succeeded(1)).when(refund).then(requestedRefund);
      given(requested(1, 'k-1'), processing(1), succeeded(1), requestedRefund).when(refund).then();
      given(requested(1, 'k-1'), processing(1), succeeded(1), requestedRefund, refunded).when(refund).then();
    });
    it('has nothing to refund when no payment succeeded', () => {
      given(requested(1, 'k-1'), processing(1), failed(1)).when(refund).then();
      given(requested(1, 'k-1'), processing(1)).when(refund).then();
    });
    it("records the provider's acceptance once, and only of a requested refund", () => {
      given(requested(1, 'k-1'), processing(1), succeeded(1), requestedRefund).when(accepted).then(refunded);
      given(requested(1, 'k-1'), processing(1), succeeded(1), requestedRefund, refunded).when(accepted).then();
      given(requested(1, 'k-1'), processing(1), succeeded(1)).when(accepted).then();
    });
    it('records the refund in the currency it was paid in', () => {
      const paidInYen: PaymentRequested = { type: 'PaymentRequested', data: { ...requested(1, 'k-1').data, amountMinor: 3000, currency: 'JPY' } };
      const refundRequested: PaymentEvent = { type: 'RefundRequested', data: { paymentId, bookingId: 'b-1', amountMinor: 3000, currency: 'JPY', reason: 'booking-not-pending' } };
      given(paidInYen, processing(1), succeeded(1)).when(refund).then(refundRequested);
      given(paidInYen, processing(1), succeeded(1), refundRequested).when(accepted).then({
        type: 'PaymentRefunded', schemaVersion: 2, data: { paymentId, bookingId: 'b-1', amountMinor: 3000, currency: 'JPY', reason: 'booking-not-pending', refundId: 're_1' },
      });
    });
    it('knows a refund recorded before refunds were requested first (no refund id) as done', () => {
      // As the decider reads it: stored at version 1 (no currency), upcast to USD.
      const legacy: PaymentEvent = { type: 'PaymentRefunded', schemaVersion: 2, data: { paymentId, bookingId: 'b-1', amountMinor: 9000, currency: 'USD', reason: 'booking-cancelled' } };
      given(requested(1, 'k-1'), processing(1), succeeded(1), legacy).when(refund).then();
      given(requested(1, 'k-1'), processing(1), succeeded(1), legacy).when(accepted).then();
    });
  });
});
