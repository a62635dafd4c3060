/** What happens to a booking, as its stream `booking-<bookingId>` records it. */
export type BookingItem = { seatId: string; priceMinor: number };
export const CANCELLATION_REASONS = ['owner', 'hold-expired', 'event-cancelled'] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];

export type BookingPlaced = {
  type: 'BookingPlaced';
  data: {
    bookingId: string;
    eventId: string;
    userId: string;
    items: BookingItem[];
    totalMinor: number;
    currency: string;
    expiresAt: string;
    /** Fingerprint of the request: a retry with the same Idempotency-Key must send the same body. */
    requestHash: string;
  };
};
export type BookingConfirmed = { type: 'BookingConfirmed'; data: { bookingId: string; paymentId: string; ticketReference: string } };
export type BookingCancelled = { type: 'BookingCancelled'; data: { bookingId: string; reason: CancellationReason } };
export type BookingEvent = BookingPlaced | BookingConfirmed | BookingCancelled;

export const bookingStream = (bookingId: string) => `booking-${bookingId}`;
