import { DomainError } from '../domain-error.js';
import type { Decider } from '../event-store/handle-command.js';
import type { Scan, TicketEvent, TicketRef } from './ticket.events.js';

/** A gate scanned a ticket whose code and booking were found valid (check-in.handler.ts). */
export type ScanTicket = { type: 'ScanTicket'; data: TicketRef & Scan };
export type TicketCommand = ScanTicket;

/** `scans`: every scan recorded, as `gate\nat`, so that one uploaded twice is recorded once. */
export type Ticket = { status: 'Unused' } | { status: 'Admitted'; first: Scan; scans: ReadonlySet<string> };

const scanKey = ({ gate, at }: Scan) => `${gate}\n${at}`;
const earlier = (a: Scan, b: Scan) => Date.parse(a.at) < Date.parse(b.at);

const scan = ({ data }: ScanTicket, state: Ticket): TicketEvent[] => {
  const { at, gate, ...ticket } = data;
  if (Number.isNaN(Date.parse(at))) throw new DomainError('invalid', 'scannedAt is not a time');
  if (state.status === 'Unused') return [{ type: 'TicketAdmitted', data }];
  // The same scan again (a gate that uploads its batch twice): recorded once, answered as the first time.
  if (state.scans.has(scanKey(data))) return [];
  // Offline gates upload late: the earliest scan is the admission, whenever it arrives.
  if (earlier(data, state.first)) return [{ type: 'TicketAdmitted', data: { ...ticket, at, gate, supersedes: state.first } }];
  return [{ type: 'DuplicateScanRecorded', data: { ...ticket, at, gate, firstScan: state.first } }];
};

export const ticketDecider: Decider<Ticket, TicketCommand, TicketEvent> = {
  initialState: () => ({ status: 'Unused' }),
  evolve: (state, { type, data }) => {
    const scans = new Set(state.status === 'Admitted' ? state.scans : []).add(scanKey(data));
    const first = type === 'TicketAdmitted' || state.status === 'Unused' ? { at: data.at, gate: data.gate } : state.first;
    return { status: 'Admitted', first, scans };
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'ScanTicket':
        return scan(command, state);
    }
  },
};

/** What a scan comes to: admitted (now, or by this very scan before), or refused because an earlier scan admitted it. */
export const scanOutcome = (scanned: Scan, events: TicketEvent[], after: Ticket): { admitted: true } | { admitted: false; firstScan: Scan } => {
  const [event] = events;
  if (event?.type === 'TicketAdmitted') return { admitted: true };
  if (event?.type === 'DuplicateScanRecorded') return { admitted: false, firstScan: event.data.firstScan };
  if (after.status === 'Admitted' && scanKey(after.first) === scanKey(scanned)) return { admitted: true };
  if (after.status === 'Admitted') return { admitted: false, firstScan: after.first };
  throw new Error('unreachable: a scan leaves its ticket admitted');
};
