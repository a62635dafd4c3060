/**
 * The seats of one event and who holds them, as the stream `seats-<eventId>` records it: the
 * consistency boundary of "a seat is never in two active bookings".
 */
export type SeatsReserved = {
  type: 'SeatsReserved';
  /** `userId`, who holds them, is absent from reservations recorded before the per-user limit (#16): those count for nobody. */
  data: { eventId: string; bookingId: string; seatIds: string[]; userId?: string };
};
export type SeatsReleased = {
  type: 'SeatsReleased';
  data: { eventId: string; bookingId: string; seatIds: string[]; reason: 'booking-cancelled' | 'booking-not-recorded' };
};
/** The event was cancelled: no seat of it can be reserved any more. */
export type SalesClosed = { type: 'SalesClosed'; data: { eventId: string } };
export type SeatInventoryEvent = SeatsReserved | SeatsReleased | SalesClosed;

export const seatInventoryStream = (eventId: string) => `seats-${eventId}`;
