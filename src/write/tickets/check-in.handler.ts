import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { bookingDecider } from '../booking/booking.decider.js';
import { type BookingEvent, bookingStream } from '../booking/booking.events.js';
import { type Show, type ShowCommand, showDecider } from '../catalog/show.decider.js';
import { type ShowEvent, showStream } from '../catalog/show.events.js';
import { DomainError } from '../domain-error.js';
import { Environment } from '../../config.js';
import { CommandBatcher } from '../event-store/command-batcher.js';
import { EVENT_STORE, type EventStore, type MessageContext, type Position } from '../event-store/event-store.port.js';
import { asDecided } from '../event-store/handle-command.js';
import { StreamCache } from '../event-store/stream-cache.js';
import { SnapshotStore } from '../event-store/snapshot-store.js';
import { decideDoorBatch, type Door, doorDecider, doorSnapshot, scanOutcome, type TicketCommand, ticketDecider } from './ticket.decider.js';
import { doorStream, type TicketEvent, ticketIdOf, type TicketRef } from './ticket.events.js';
import { invalidCode, TicketKeys } from './ticket-keys.js';

/** A gate's scan: the code the QR holds, the gate's name, and when it scanned (null: now, as the gate is online). */
export type CheckIn = { eventId: string; code: string; gate: string; scannedAt: string | null };
export type CheckedIn = { result: 'ADMITTED'; ticketId: string; seatId: string; bookingId: string; gate: string; scannedAt: string; position: Position | undefined };

export class CheckInMessage extends Command<CheckedIn> {
  constructor(
    readonly request: CheckIn,
    readonly context: MessageContext,
  ) {
    super();
  }
}

/** How far ahead of ours a gate's clock may be. */
const CLOCK_TOLERANCE_MS = 60_000;

/**
 * Check-in: a ticket admits once. The code is checked first (signature, event), then that its
 * booking is still confirmed and its event not cancelled; a void ticket writes nothing. The scan
 * is decided on the event's door stream, at the revision it was read at: two gates scanning one
 * ticket at once cannot both admit it, on one instance (the scans that wait together are decided
 * in turn, and appended in one call) or on several (the second append fails, and its batch is
 * decided again on the first's events).
 */
@CommandHandler(CheckInMessage)
export class CheckInHandler implements ICommandHandler<CheckInMessage> {
  private readonly shows: StreamCache<Show, ShowCommand, ShowEvent>;
  private readonly doors: CommandBatcher<Door, TicketCommand, TicketEvent>;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly keys: TicketKeys,
    snapshots: SnapshotStore,
    env: Environment,
  ) {
    this.shows = new StreamCache(store, showDecider);
    // A stadium's door stream grows by every scan: an instance that starts begins at its latest snapshot.
    const everyEvents = env.SNAPSHOT_EVERY_EVENTS;
    const doors = new StreamCache(store, doorDecider, {
      capacity: 100,
      snapshots: everyEvents > 0 ? { store: snapshots, codec: doorSnapshot, everyEvents } : undefined,
    });
    this.doors = new CommandBatcher(store, doors, { decideBatch: decideDoorBatch });
  }

  async execute({ request, context }: CheckInMessage): Promise<CheckedIn> {
    const { eventId, code, gate } = request;
    const verifying = this.keys.verify(eventId, code);
    verifying.catch(() => undefined); // answered below, after an unknown event's 404
    const { state: show } = await this.shows.load(showStream(eventId));
    if (show.status === 'None') throw new DomainError('not-found', 'No such event');
    const ticket = await verifying;
    const { ticketId, bookingId, seatId } = ticket;
    if (ticketIdOf(bookingId, seatId) !== ticketId) throw invalidCode('The ticket code does not name a ticket');
    if (show.status === 'CANCELLED') throw voided(ticket, 'The event is cancelled: its tickets admit no one', 'event-cancelled');
    const confirmedAt = await this.confirmedAt(ticket);
    const at = this.scanTime(request.scannedAt, confirmedAt);
    const { events, state, position } = await this.doors.execute(doorStream(eventId), { type: 'ScanTicket', data: { ...ticket, at, gate } }, context);
    const outcome = scanOutcome({ at, gate }, events, state.get(ticketId) ?? ticketDecider.initialState());
    if (!outcome.admitted) {
      const { firstScan } = outcome;
      throw new DomainError('conflict', `This ticket was admitted at ${firstScan.at} through gate ${JSON.stringify(firstScan.gate)}`, {
        type: 'already-admitted', result: 'ALREADY_ADMITTED', ticketId, seatId, firstScan,
      });
    }
    return { result: 'ADMITTED', ticketId, seatId, bookingId, gate, scannedAt: at, position };
  }

  /** When the ticket's booking was confirmed; a 409 VOID if it is not confirmed now (cancelled since, or a seat it does not hold). */
  private async confirmedAt(ticket: TicketRef): Promise<number> {
    const { events } = await this.store.readStream(bookingStream(ticket.bookingId));
    const booking = events.map(asDecided<BookingEvent>).reduce(bookingDecider.evolve, bookingDecider.initialState());
    if (booking.status !== 'CONFIRMED' || !booking.placed.items.some((item) => item.seatId === ticket.seatId)) {
      throw voided(ticket, `The ticket's booking is ${booking.status === 'None' ? 'unknown' : booking.status}: it admits no one`, 'booking-not-confirmed');
    }
    return Date.parse(events.find((event) => event.type === 'BookingConfirmed')!.metadata.occurredAt);
  }

  /**
   * A scan's time, as an ISO string: the gate's, for a scan uploaded later, else now. A gate's clock
   * may be a minute ahead; a time after that, or before the ticket was issued, cannot be a scan of it.
   */
  private scanTime(scannedAt: string | null, confirmedAt: number): string {
    if (scannedAt === null) return new Date().toISOString();
    const at = Date.parse(scannedAt);
    if (at > Date.now() + CLOCK_TOLERANCE_MS) throw new DomainError('invalid', `scannedAt (${scannedAt}) is in the future`);
    if (at < confirmedAt - CLOCK_TOLERANCE_MS) throw new DomainError('invalid', `scannedAt (${scannedAt}) is before the ticket was issued`);
    return new Date(at).toISOString();
  }
}

const voided = ({ ticketId, seatId }: TicketRef, detail: string, reason: 'event-cancelled' | 'booking-not-confirmed') =>
  new DomainError('conflict', detail, { type: 'ticket-void', result: 'VOID', reason, ticketId, seatId });
