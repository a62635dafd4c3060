import type { SeatType } from '../catalog/venue.events.js';

/**
 * The seats of one event and who holds them, as the stream `seats-<eventId>` records it: the
 * consistency boundary of "a seat is never in two active bookings".
 */
export type SeatsReserved = {
  type: 'SeatsReserved';
  /**
   * `userId`, who holds them, is absent from reservations recorded before the per-user limit (#16):
   * those count for nobody. `bestAvailable`: what the buyer asked for when the service chose the
   * seats (#19), so that an auditor sees why these.
   */
  data: { eventId: string; bookingId: string; seatIds: string[]; userId?: string; bestAvailable?: { quantity: number; seatType: SeatType | null; section: string | null } };
};
export type SeatsReleased = {
  type: 'SeatsReleased';
  data: { eventId: string; bookingId: string; seatIds: string[]; reason: 'booking-cancelled' | 'booking-not-recorded' };
};
/** The event was cancelled: no seat of it can be reserved any more. */
export type SalesClosed = { type: 'SalesClosed'; data: { eventId: string } };
/** The organiser keeps seats back from sale (for press, sponsors, the sound desk): no booking takes them until released. */
export type OrganiserHoldPlaced = { type: 'OrganiserHoldPlaced'; data: { eventId: string; holdId: string; seatIds: string[]; reason: string } };
export type OrganiserHoldReleased = { type: 'OrganiserHoldReleased'; data: { eventId: string; holdId: string; seatIds: string[] } };
export type SeatInventoryEvent = SeatsReserved | SeatsReleased | SalesClosed | OrganiserHoldPlaced | OrganiserHoldReleased;

export const seatInventoryStream = (eventId: string) => `seats-${eventId}`;
