import { randomUUID } from 'node:crypto';
import { projectorSpecification } from '../../test/support/projection.js';
import type { TicketEvent, TicketRef } from '../write/tickets/ticket.events.js';
import { checkInProjector } from './check-in.projector.js';
import { nameUuid } from './projector.js';

const given = projectorSpecification(checkInProjector);
const ticket: TicketRef = { ticketId: randomUUID(), eventId: randomUUID(), bookingId: randomUUID(), seatId: randomUUID() };
const at = (second: number) => `2026-12-01T10:00:0${second}.000Z`; // inLog: the n-th event occurs n seconds after 10:00
const scan = (minute: number, gate: string) => ({ at: `2026-12-01T19:${String(minute).padStart(2, '0')}:00.000Z`, gate });
const row = (minute: number, gate: string, outcome: string, recorded: number) => ({
  id: nameUuid(`${gate}\n${scan(minute, gate).at}`, ticket.ticketId),
  ticket_id: ticket.ticketId, event_id: ticket.eventId, booking_id: ticket.bookingId, seat_id: ticket.seatId,
  gate, scanned_at: scan(minute, gate).at, outcome, recorded_at: at(recorded),
});

const admitted = (minute: number, gate: string, supersedes?: { at: string; gate: string }): TicketEvent => ({ type: 'TicketAdmitted', data: { ...ticket, ...scan(minute, gate), ...(supersedes && { supersedes }) } });
const duplicate = (minute: number, gate: string, first: { at: string; gate: string }): TicketEvent => ({ type: 'DuplicateScanRecorded', data: { ...ticket, ...scan(minute, gate), firstScan: first } });

describe('check-in projector: project and fold give the same rows', () => {
  it('records the admission and a later duplicate', () =>
    given(admitted(5, 'north'), duplicate(7, 'south', scan(5, 'north'))).then({
      'booking.check_ins': [row(5, 'north', 'ADMITTED', 0), row(7, 'south', 'DUPLICATE', 1)],
    }));

  it('makes an earlier scan uploaded later the admission, and the one it supersedes a duplicate', () =>
    given(admitted(5, 'north'), admitted(2, 'offline-1', scan(5, 'north')), duplicate(9, 'east', scan(2, 'offline-1'))).then({
      'booking.check_ins': [row(5, 'north', 'DUPLICATE', 0), row(2, 'offline-1', 'ADMITTED', 1), row(9, 'east', 'DUPLICATE', 2)],
    }));

  it('changes nothing for an event applied twice', () =>
    given(admitted(5, 'north'), admitted(5, 'north')).then({ 'booking.check_ins': [row(5, 'north', 'ADMITTED', 0)] }));
});
