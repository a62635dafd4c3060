import type { TicketEvent } from '../write/tickets/ticket.events.js';
import { nameUuid, occurredAt, type Projector, type Row, sql } from './projector.js';

// A scan's row id follows from (ticket, gate, time), which the door records once per ticket: a rebuild gives the same ids.
const scanId = (ticketId: string, gate: string, at: string) => nameUuid(`${gate}\n${at}`, ticketId);

/**
 * booking.check_ins: a row per scan the log records. A ticket has one ADMITTED row, its earliest
 * scan; an earlier scan uploaded later takes that over, and the row it supersedes becomes a DUPLICATE.
 */
export const checkInProjector: Projector<TicketEvent> = {
  name: 'check-in',
  tables: ['booking.check_ins'],
  handles: new Set(['TicketAdmitted', 'DuplicateScanRecorded']),
  project: (event) => {
    const { ticketId, eventId, bookingId, seatId, gate, at } = event.data;
    const outcome = event.type === 'TicketAdmitted' ? 'ADMITTED' : 'DUPLICATE';
    const insert = sql`INSERT INTO booking.check_ins (id, ticket_id, event_id, booking_id, seat_id, gate, scanned_at, outcome, recorded_at)
        VALUES (${scanId(ticketId, gate, at)}, ${ticketId}, ${eventId}, ${bookingId}, ${seatId}, ${gate}, ${at}, ${outcome}, ${occurredAt(event)})
        ON CONFLICT (id) DO NOTHING`;
    if (event.type === 'TicketAdmitted' && event.data.supersedes) {
      return [sql`UPDATE booking.check_ins SET outcome = 'DUPLICATE' WHERE ticket_id = ${ticketId} AND outcome = 'ADMITTED'`, insert];
    }
    return [insert];
  },
  fold: () => {
    const rows = new Map<string, Row>();
    const admitted = new Map<string, Row>(); // by ticket: its ADMITTED row
    return {
      apply: (event) => {
        const { ticketId, eventId, bookingId, seatId, gate, at } = event.data;
        const id = scanId(ticketId, gate, at);
        if (rows.has(id)) return;
        const row: Row = { id, ticket_id: ticketId, event_id: eventId, booking_id: bookingId, seat_id: seatId, gate, scanned_at: at, outcome: 'DUPLICATE', recorded_at: occurredAt(event) };
        rows.set(id, row);
        if (event.type !== 'TicketAdmitted') return;
        if (event.data.supersedes) {
          const before = admitted.get(ticketId);
          if (before) before.outcome = 'DUPLICATE';
        }
        row.outcome = 'ADMITTED';
        admitted.set(ticketId, row);
      },
      rows: () => ({ 'booking.check_ins': rows.values() }),
    };
  },
};
