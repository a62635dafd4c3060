import { DomainError } from '../domain-error.js';
import type { BatchOutcome } from '../event-store/command-batcher.js';
import type { Decider } from '../event-store/handle-command.js';
import type { SnapshotCodec } from '../event-store/snapshot-store.js';
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

/**
 * An event's door: each scanned ticket's state, by ticket id (a ticket not in it is unused). One
 * ticket's decisions are ticketDecider's; the door only keeps them together, evolved in place (a
 * stadium's tickets are too many to copy the map for every scan).
 */
export type Door = Map<string, Ticket>;

const ticketAt = (door: ReadonlyMap<string, Ticket>, ticketId: string): Ticket => door.get(ticketId) ?? ticketDecider.initialState();

export const doorDecider: Decider<Door, TicketCommand, TicketEvent> = {
  initialState: () => new Map(),
  evolve: (door, event) => door.set(event.data.ticketId, ticketDecider.evolve(ticketAt(door, event.data.ticketId), event)),
  decide: (command, door) => ticketDecider.decide(command, ticketAt(door, command.data.ticketId)),
};

/** The scans of one batch, decided in turn on a draft of the tickets they change: the door itself changes only once they are appended. */
export const decideDoorBatch = (commands: TicketCommand[], door: Door): BatchOutcome<TicketEvent>[] => {
  const draft = new Map<string, Ticket>();
  return commands.map((command) => {
    const { ticketId } = command.data;
    try {
      const events = ticketDecider.decide(command, draft.get(ticketId) ?? ticketAt(door, ticketId));
      for (const event of events) draft.set(ticketId, ticketDecider.evolve(draft.get(ticketId) ?? ticketAt(door, ticketId), event));
      return { events };
    } catch (error) {
      return { error };
    }
  });
};

type DoorSnapshot = [ticketId: string, first: Scan, scans: string[]][];

/** A door with many scans is snapshotted like a hot seat inventory: an instance that starts reads only the scans after it. */
export const doorSnapshot: SnapshotCodec<Door> = {
  version: 1,
  toSnapshot: (door): DoorSnapshot =>
    Array.from(door, ([ticketId, ticket]) => {
      if (ticket.status !== 'Admitted') throw new Error(`ticket ${ticketId} is at the door unused: no snapshot keeps that`);
      return [ticketId, ticket.first, [...ticket.scans]];
    }),
  fromSnapshot: (json) => new Map((json as DoorSnapshot).map(([ticketId, first, scans]) => [ticketId, { status: 'Admitted', first, scans: new Set(scans) }])),
};
