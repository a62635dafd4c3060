import fc from 'fast-check';
import { specification } from '../../../test/support/given.js';
import { decideInTurn } from '../event-store/command-batcher.js';
import { decideDoorBatch, doorDecider, doorSnapshot, type ScanTicket, scanOutcome, ticketDecider } from './ticket.decider.js';
import type { Scan, TicketEvent } from './ticket.events.js';

const given = specification(ticketDecider);
const ticket = { ticketId: 't-1', eventId: 'e-1', bookingId: 'b-1', seatId: 's-1' };
const at = (minute: number) => `2030-06-01T19:${String(minute).padStart(2, '0')}:00.000Z`;
const scan = (minute: number, gate = 'North'): ScanTicket => ({ type: 'ScanTicket', data: { ...ticket, at: at(minute), gate } });
const admitted = (minute: number, gate = 'North', supersedes?: Scan): TicketEvent => ({ type: 'TicketAdmitted', data: { ...ticket, at: at(minute), gate, ...(supersedes && { supersedes }) } });
const duplicate = (minute: number, gate: string, firstScan: Scan): TicketEvent => ({ type: 'DuplicateScanRecorded', data: { ...ticket, at: at(minute), gate, firstScan } });

describe('ticket at the door', () => {
  it('admits an unused ticket', () => given().when(scan(10)).then(admitted(10)));
  it('records a later scan as a duplicate of the first', () => given(admitted(10)).when(scan(12, 'South')).then(duplicate(12, 'South', { at: at(10), gate: 'North' })));
  it('records a scan at the same time through another gate as a duplicate', () => given(admitted(10)).when(scan(10, 'South')).then(duplicate(10, 'South', { at: at(10), gate: 'North' })));
  it('makes an earlier scan uploaded later the admission', () => given(admitted(10)).when(scan(5, 'Offline')).then(admitted(5, 'Offline', { at: at(10), gate: 'North' })));
  it('records the same scan uploaded twice once', () => given(admitted(10), duplicate(12, 'South', { at: at(10), gate: 'North' })).when(scan(12, 'South')).then());
  it('refuses a scan whose time is not a time', () => given().when({ type: 'ScanTicket', data: { ...ticket, at: 'soon', gate: 'North' } }).thenFails('invalid'));

  it('admits exactly once, the earliest scan, whatever order the scans arrive in and however often', () =>
    fc.assert(
      fc.property(fc.array(fc.record({ minute: fc.integer({ min: 0, max: 59 }), gate: fc.constantFrom('North', 'South', 'Offline') }), { minLength: 1, maxLength: 30 }), (scans) => {
        const commands = scans.map(({ minute, gate }) => scan(minute, gate));
        const outcomes = decideInTurn(ticketDecider)(commands, ticketDecider.initialState());
        const events = outcomes.flatMap((outcome) => ('events' in outcome ? outcome.events : []));
        const state = events.reduce(ticketDecider.evolve, ticketDecider.initialState());
        const earliest = Math.min(...scans.map((s) => s.minute));
        // The admission is the earliest scan (the first of them to arrive, on a tie), and every scan is recorded exactly once.
        const firstOfEarliest = scans.find((s) => s.minute === earliest)!;
        expect(state).toMatchObject({ status: 'Admitted', first: { at: at(earliest), gate: firstOfEarliest.gate } });
        expect(events).toHaveLength(new Set(scans.map((s) => `${s.gate}|${s.minute}`)).size);
        // Once admitted, every later answer names that admission or an earlier one; the admitting scan, asked again, is admitted.
        expect(scanOutcome({ at: at(earliest), gate: firstOfEarliest.gate }, [], state)).toEqual({ admitted: true });
      }),
    ));
});

describe("an event's door", () => {
  const other = { ...ticket, ticketId: 't-2', seatId: 's-2' };
  const scanOther = (minute: number, gate = 'North'): ScanTicket => ({ type: 'ScanTicket', data: { ...other, at: at(minute), gate } });

  it('decides a batch as one scan after another, without changing the door until it is appended', () => {
    const door = [admitted(1)].reduce(doorDecider.evolve, doorDecider.initialState());
    const outcomes = decideDoorBatch([scanOther(3, 'East'), scan(4, 'South'), scanOther(2, 'West'), scanOther(2, 'West')], door);
    expect(outcomes).toEqual([
      { events: [{ type: 'TicketAdmitted', data: { ...other, at: at(3), gate: 'East' } }] },
      { events: [duplicate(4, 'South', { at: at(1), gate: 'North' })] },
      { events: [{ type: 'TicketAdmitted', data: { ...other, at: at(2), gate: 'West', supersedes: { at: at(3), gate: 'East' } } }] },
      { events: [] },
    ]);
    expect([...door.keys()]).toEqual(['t-1']);
  });

  it('gives the same answers in one batch as one scan at a time', () =>
    fc.assert(
      fc.property(fc.array(fc.record({ other: fc.boolean(), minute: fc.integer({ min: 0, max: 9 }), gate: fc.constantFrom('North', 'South') }), { maxLength: 20 }), (scans) => {
        const commands = scans.map((s) => (s.other ? scanOther(s.minute, s.gate) : scan(s.minute, s.gate)));
        const oneByOne = doorDecider.initialState();
        const alone = commands.map((command) => {
          const events = doorDecider.decide(command, oneByOne);
          events.forEach((event) => doorDecider.evolve(oneByOne, event));
          return { events };
        });
        expect(decideDoorBatch(commands, doorDecider.initialState())).toEqual(alone);
      }),
    ));

  it('keeps every ticket in its snapshot', () => {
    const door = [admitted(10), duplicate(12, 'South', { at: at(10), gate: 'North' }), { type: 'TicketAdmitted', data: { ...other, at: at(11), gate: 'East' } } as TicketEvent].reduce(
      doorDecider.evolve,
      doorDecider.initialState(),
    );
    expect(doorSnapshot.fromSnapshot(JSON.parse(JSON.stringify(doorSnapshot.toSnapshot(door))))).toEqual(door);
  });
});
