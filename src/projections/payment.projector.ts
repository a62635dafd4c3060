import { toDecimalColumn } from '../write/money.js';
import type { PaymentEvent } from '../write/payment/payment.events.js';
import { occurredAt, type Projector, type Row, sql, updateRow } from './projector.js';

/** payment.payments of data-model.md: one row per booking, showing its latest attempt. */
export const paymentProjector: Projector<PaymentEvent> = {
  name: 'payment',
  tables: ['payment.payments'],
  handles: new Set(['PaymentRequested', 'PaymentProcessing', 'PaymentSucceeded', 'PaymentFailed', 'PaymentRefunded']),
  project: (event) => {
    const at = occurredAt(event);
    switch (event.type) {
      case 'PaymentRequested': {
        const { paymentId, bookingId, amountMinor, currency, provider } = event.data;
        // A new attempt after a failure starts the same row over.
        return [sql`INSERT INTO payment.payments (id, booking_id, amount, currency, status, provider, created_at, updated_at)
                    VALUES (${paymentId}, ${bookingId}, ${toDecimalColumn(amountMinor, currency)}::numeric(10,2), ${currency}, 'PENDING', ${provider}, ${at}, ${at})
                    ON CONFLICT (id) DO UPDATE SET status = 'PENDING', external_id = NULL, failure_reason = NULL, updated_at = excluded.updated_at`];
      }
      case 'PaymentProcessing':
        return [sql`UPDATE payment.payments SET status = 'PROCESSING', external_id = ${event.data.externalId}, updated_at = ${at} WHERE id = ${event.data.paymentId}`];
      case 'PaymentSucceeded':
        return [sql`UPDATE payment.payments SET status = 'SUCCESS', external_id = ${event.data.externalId}, updated_at = ${at} WHERE id = ${event.data.paymentId}`];
      case 'PaymentFailed':
        return [sql`UPDATE payment.payments SET status = 'FAILED', failure_reason = ${event.data.reason}, updated_at = ${at} WHERE id = ${event.data.paymentId}`];
      case 'RefundRequested':
        return []; // not followed: until the provider accepts, the payment is SUCCESS
      // REFUNDED extends data-model.md's payment_status (migrations/1765100000000-RefundsAndHolds.ts); a refund only requested leaves SUCCESS.
      case 'PaymentRefunded':
        return [sql`UPDATE payment.payments SET status = 'REFUNDED', updated_at = ${at} WHERE id = ${event.data.paymentId}`];
    }
  },
  fold: () => {
    const payments = new Map<string, Row>();
    return {
      apply: (event) => {
        const at = occurredAt(event);
        switch (event.type) {
          case 'PaymentRequested': {
            const { paymentId, bookingId, amountMinor, currency, provider } = event.data;
            if (payments.has(paymentId)) return updateRow(payments, paymentId, { status: 'PENDING', external_id: null, failure_reason: null, updated_at: at });
            payments.set(paymentId, { id: paymentId, booking_id: bookingId, amount: toDecimalColumn(amountMinor, currency), currency, status: 'PENDING', provider,
              external_id: null, failure_reason: null, created_at: at, updated_at: at });
            return;
          }
          case 'PaymentProcessing':
            return updateRow(payments, event.data.paymentId, { status: 'PROCESSING', external_id: event.data.externalId, updated_at: at });
          case 'PaymentSucceeded':
            return updateRow(payments, event.data.paymentId, { status: 'SUCCESS', external_id: event.data.externalId, updated_at: at });
          case 'PaymentFailed':
            return updateRow(payments, event.data.paymentId, { status: 'FAILED', failure_reason: event.data.reason, updated_at: at });
          case 'RefundRequested':
            return;
          case 'PaymentRefunded':
            return updateRow(payments, event.data.paymentId, { status: 'REFUNDED', updated_at: at });
        }
      },
      rows: () => ({ 'payment.payments': payments.values() }),
    };
  },
};
