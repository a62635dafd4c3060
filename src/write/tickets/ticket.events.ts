import { v5 as uuidv5 } from 'uuid';

/** What happens at the door to one ticket, as its stream `ticket-<ticketId>` records it. */
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

export const ticketStream = (ticketId: string) => `ticket-${ticketId}`;

// Ticket ids follow from (booking, seat): the tickets of a booking are the same whenever they are
// issued, and its audit finds their streams without an index.
const TICKET_NAMESPACE = 'c3f6b1de-2a51-4e0c-9d84-6f0d5e2b7a31';
export const ticketIdOf = (bookingId: string, seatId: string) => uuidv5(`${bookingId}\n${seatId}`, TICKET_NAMESPACE);
