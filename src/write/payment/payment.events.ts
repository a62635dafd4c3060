import { v5 as uuidv5 } from 'uuid';

/**
 * What happens to a booking's payment, as its stream `payment-<paymentId>` records it: attempts
 * (PENDING → PROCESSING → SUCCESS | FAILED, then another attempt after a failure) and a refund:
 * requested first, recorded as PaymentRefunded only once the provider accepted it.
 */
export type PaymentRequested = {
  type: 'PaymentRequested';
  data: { paymentId: string; bookingId: string; userId: string; attempt: number; amountMinor: number; currency: string; provider: string; paymentMethod: string; idempotencyKey: string | null };
};
export type PaymentProcessing = { type: 'PaymentProcessing'; data: { paymentId: string; attempt: number; externalId: string } };
export type PaymentSucceeded = { type: 'PaymentSucceeded'; data: { paymentId: string; attempt: number; externalId: string } };
export type PaymentFailed = { type: 'PaymentFailed'; data: { paymentId: string; attempt: number; reason: string } };
export type RefundRequested = { type: 'RefundRequested'; data: { paymentId: string; bookingId: string; amountMinor: number; currency: string; reason: string } };
export type PaymentRefunded = {
  type: 'PaymentRefunded';
  /** Version 2 (#21) names the refund's currency; version 1, from when every payment was in USD, is read as USD (domain-event.ts). */
  schemaVersion: 2;
  /** `refundId` is the provider's; refunds recorded before #16 (recorded first, then sent) have none. */
  data: { paymentId: string; bookingId: string; amountMinor: number; currency: string; reason: string; refundId?: string };
};
export type PaymentEvent = PaymentRequested | PaymentProcessing | PaymentSucceeded | PaymentFailed | RefundRequested | PaymentRefunded;

export const paymentStream = (paymentId: string) => `payment-${paymentId}`;

// One payment per booking: its id follows from the booking's.
const PAYMENT_NAMESPACE = '0c4f6f0e-2b8a-4d7e-9a43-6f1d2c9b8e55';
export const paymentIdOf = (bookingId: string) => uuidv5(bookingId, PAYMENT_NAMESPACE);
