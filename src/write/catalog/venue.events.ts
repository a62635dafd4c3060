/** A venue and its seats, as the stream `venue-<venueId>` records them. Seats are added, never changed. */
export const SEAT_TYPES = ['VIP', 'REGULAR', 'ECONOMY'] as const;
export type SeatType = (typeof SEAT_TYPES)[number];
/**
 * `section` ("" or absent: the venue's only one) and `rank` (lower is better; absent: from the
 * layout, venue-layout.ts) came with best available (#19); seats added before have neither.
 */
export type Seat = { seatId: string; section?: string; row: string; number: number; type: SeatType; rank?: number };

export type VenueCreated = { type: 'VenueCreated'; data: { venueId: string; name: string; location: string | null; capacity: number | null } };
export type SeatsAdded = { type: 'SeatsAdded'; data: { venueId: string; seats: Seat[] } };
export type VenueEvent = VenueCreated | SeatsAdded;

export const venueStream = (venueId: string) => `venue-${venueId}`;
