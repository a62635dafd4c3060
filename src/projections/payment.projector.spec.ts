import { randomUUID } from 'node:crypto';
import { projectorSpecification } from '../../test/support/projection.js';
import type { PaymentEvent } from '../write/payment/payment.events.js';
import { paymentProjector } from './payment.projector.js';

const given = projectorSpecification(paymentProjector);
const [paymentId, bookingId] = [randomUUID(), randomUUID()];
const at = (second: number) => `2026-12-01T10:00:0${second}.000Z`; // inLog: the n-th event occurs n seconds after 10:00

const requested = (attempt: number, amountMinor = 12_550, currency = 'USD'): PaymentEvent => ({
  type: 'PaymentRequested',
  data: { paymentId, bookingId, userId: 'auth0|alice', attempt, amountMinor, currency, provider: 'test', paymentMethod: 'pm_card_visa', idempotencyKey: null },
});
const processing = (attempt: number): PaymentEvent => ({ type: 'PaymentProcessing', data: { paymentId, attempt, externalId: `pi_${attempt}` } });
const payment = { id: paymentId, booking_id: bookingId, amount: '125.50', currency: 'USD', provider: 'test', created_at: at(0) };

describe('payment projector: project and fold give the same rows', () => {
  it('shows a requested payment as PENDING', () =>
    given(requested(1)).then({ 'payment.payments': [{ ...payment, status: 'PENDING', updated_at: at(0) }] }));

  it('follows it through PROCESSING to SUCCESS', () =>
    given(requested(1), processing(1), { type: 'PaymentSucceeded', data: { paymentId, attempt: 1, externalId: 'pi_1' } }).then({
      'payment.payments': [{ ...payment, status: 'SUCCESS', external_id: 'pi_1', updated_at: at(2) }],
    }));

  it('keeps the reason of a failure', () =>
    given(requested(1), processing(1), { type: 'PaymentFailed', data: { paymentId, attempt: 1, reason: 'Your card was declined.' } }).then({
      'payment.payments': [{ ...payment, status: 'FAILED', external_id: 'pi_1', failure_reason: 'Your card was declined.', updated_at: at(2) }],
    }));

  it('starts the row over for the next attempt', () =>
    given(requested(1), processing(1), { type: 'PaymentFailed', data: { paymentId, attempt: 1, reason: 'declined' } }, requested(2)).then({
      'payment.payments': [{ ...payment, status: 'PENDING', updated_at: at(3) }],
    }));

  it('shows a refund once the provider accepted it, not while it is only requested', () =>
    given(
      requested(1), processing(1), { type: 'PaymentSucceeded', data: { paymentId, attempt: 1, externalId: 'pi_1' } },
      { type: 'RefundRequested', data: { paymentId, bookingId, amountMinor: 12_550, currency: 'USD', reason: 'booking-cancelled' } },
    ).then({
      'payment.payments': [{ ...payment, status: 'SUCCESS', external_id: 'pi_1', updated_at: at(2) }],
    }));

  it('marks the payment REFUNDED when the refund is recorded', () =>
    given(
      requested(1), processing(1), { type: 'PaymentSucceeded', data: { paymentId, attempt: 1, externalId: 'pi_1' } },
      { type: 'PaymentRefunded', schemaVersion: 2, data: { paymentId, bookingId, amountMinor: 12_550, currency: 'USD', reason: 'booking-cancelled', refundId: 're_1' } },
    ).then({
      'payment.payments': [{ ...payment, status: 'REFUNDED', external_id: 'pi_1', updated_at: at(3) }],
    }));

  it('also a refund recorded before #16 (no refund id) and before #21 (no currency: version 1, in USD)', () => {
    const refundedInV1 = { type: 'PaymentRefunded', schemaVersion: 1, data: { paymentId, bookingId, amountMinor: 12_550, reason: 'booking-cancelled' } } as unknown as PaymentEvent;
    return given(requested(1), processing(1), { type: 'PaymentSucceeded', data: { paymentId, attempt: 1, externalId: 'pi_1' } }, refundedInV1).then({
      'payment.payments': [{ ...payment, status: 'REFUNDED', external_id: 'pi_1', updated_at: at(3) }],
    });
  });

  it("stores the amount in the payment's currency: ¥3000 is 3000.00", () =>
    given(requested(1, 3_000, 'JPY')).then({ 'payment.payments': [{ ...payment, amount: '3000.00', currency: 'JPY', status: 'PENDING', updated_at: at(0) }] }));
});
