import { v5 as uuidv5 } from 'uuid';

/**
 * What happens at an event's door, as its stream `door-<eventId>` records it: every scan of its
 * tickets. One stream per event, not per ticket: the scans that arrive together are decided and
 * appended together (bench/checkin.mjs measures both layouts, BENCHMARKS.md has the figures).
 */
export type Scan = { at: string; gate: string };
export type TicketRef = { ticketId: string; eventId: string; bookingId: string; seatId: string };

/**
 * The ticket let someone in. `supersedes`: a scan made offline and uploaded later that is earlier
 * than the admission recorded so far — the earliest scan wins, and the one it supersedes counts as a duplicate.
 */
export type TicketAdmitted = { type: 'TicketAdmitted'; data: TicketRef & Scan & { supersedes?: Scan } };
/** A scan after the ticket's admission (a copied code, a second try): recorded, and refused. */
export type DuplicateScanRecorded = { type: 'DuplicateScanRecorded'; data: TicketRef & Scan & { firstScan: Scan } };
export type TicketEvent = TicketAdmitted | DuplicateScanRecorded;

export const doorStream = (eventId: string) => `door-${eventId}`;

// Ticket ids follow from (booking, seat): the tickets of a booking are the same whenever they are
// issued, and nothing is stored per ticket until it is scanned.
const TICKET_NAMESPACE = 'c3f6b1de-2a51-4e0c-9d84-6f0d5e2b7a31';
export const ticketIdOf = (bookingId: string, seatId: string) => uuidv5(`${bookingId}\n${seatId}`, TICKET_NAMESPACE);
