import { Inject, Logger } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { createHash, randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import { Environment } from '../../config.js';
import { catalogEventDecider, type CatalogEvent, type CatalogEventCommand, type CatalogEventEvent, eventStream } from '../catalog/event.decider.js';
import { type Venue, type VenueCommand, venueDecider, type VenueEvent, venueStream } from '../catalog/venue.decider.js';
import { DomainError } from '../domain-error.js';
import { EVENT_STORE, type EventStore, latestPosition, type MessageContext, type Position } from '../event-store/event-store.port.js';
import { handleCommand, type Loaded, loadState, unwritten } from '../event-store/handle-command.js';
import { StreamCache } from '../event-store/stream-cache.js';
import { SeatInventoryService } from '../seat-inventory/seat-inventory.service.js';
import { type Booking, type BookingCommand, bookingDecider, bookingStream, type BookingItem } from './booking.decider.js';

/** What POST /bookings answers, the first time and on every retry with the same Idempotency-Key. */
export type PlacedBooking = { booking: Extract<Booking, { placed: unknown }>; position: Position | undefined };

export class PlaceBookingMessage extends Command<PlacedBooking> {
  constructor(
    readonly request: { userId: string; eventId: string; seatIds: string[]; idempotencyKey: string | null },
    readonly context: MessageContext,
  ) {
    super();
  }
}

export class CancelBookingMessage extends Command<{ position: Position | undefined; paymentId: string | null }> {
  constructor(
    readonly bookingId: string,
    readonly userId: string,
    readonly context: MessageContext,
  ) {
    super();
  }
}

// Booking ids of keyed requests are derived from (user, Idempotency-Key): a retry, on any
// instance, lands on the same booking stream and finds the first answer there.
const IDEMPOTENT_BOOKING_NAMESPACE = '5b8d0c9e-7f1e-4a53-9b1f-2f0f6a7c1e01';

@CommandHandler(PlaceBookingMessage)
export class PlaceBookingHandler implements ICommandHandler<PlaceBookingMessage> {
  private readonly logger = new Logger(PlaceBookingHandler.name);
  private readonly events: StreamCache<CatalogEvent, CatalogEventCommand, CatalogEventEvent>;
  private readonly venues: StreamCache<Venue, VenueCommand, VenueEvent>;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly inventory: SeatInventoryService,
    private readonly env: Environment,
  ) {
    this.events = new StreamCache(store, catalogEventDecider);
    this.venues = new StreamCache(store, venueDecider, 100);
  }

  async execute({ request, context }: PlaceBookingMessage): Promise<PlacedBooking> {
    const { userId, eventId, seatIds, idempotencyKey } = request;
    const requestHash = createHash('sha256').update(JSON.stringify({ eventId, seatIds: [...seatIds].sort() })).digest('hex');
    const bookingId = idempotencyKey ? uuidv5(`${userId}\n${idempotencyKey}`, IDEMPOTENT_BOOKING_NAMESPACE) : randomUUID();
    // A keyed request's stream may hold the first answer; a random id's stream is new, with nothing to read.
    const loaded = idempotencyKey ? await loadState(this.store, bookingStream(bookingId), bookingDecider) : unwritten(bookingDecider);
    const earlier = this.earlierAnswer(loaded, userId, requestHash);
    if (earlier) return earlier;

    const { items, currency } = await this.priceSeats(eventId, seatIds);
    // 1. The seats: this append is where two bookings of one seat are told apart.
    const reserved = await this.inventory.execute({ type: 'ReserveSeats', data: { eventId, bookingId, seatIds } }, context);
    // 2. The booking. Should it fail, the seats go back: no seat stays held by a booking that does not exist.
    const expiresAt = new Date(Date.now() + this.env.BOOKING_HOLD_SECONDS * 1000).toISOString();
    const data = {
      bookingId,
      eventId,
      userId,
      items,
      totalMinor: items.reduce((sum, item) => sum + item.priceMinor, 0),
      currency,
      expiresAt,
      requestHash,
    };
    try {
      const placed = await handleCommand(this.store, bookingStream(bookingId), bookingDecider, { type: 'PlaceBooking', data }, context, loaded);
      if (placed.state.status === 'None') throw new Error('unreachable: a placed booking has a state');
      return { booking: placed.state, position: latestPosition(reserved.position, placed.position) };
    } catch (error) {
      await this.inventory
        .execute({ type: 'ReleaseSeats', data: { eventId, bookingId, reason: 'booking-not-recorded' } }, context)
        .catch((releaseError: Error) => this.logger.error(`Seats of ${bookingId} stay held; the expiry worker frees them: ${releaseError.message}`));
      throw error;
    }
  }

  private earlierAnswer({ state, position }: Loaded<Booking>, userId: string, requestHash: string): PlacedBooking | undefined {
    if (state.status === 'None') return undefined;
    if (state.placed.userId !== userId || state.placed.requestHash !== requestHash) {
      throw new DomainError('unprocessable', 'This Idempotency-Key was used for another request');
    }
    return { booking: state, position };
  }

  /** Checks that the event sells and the seats are its venue's, and takes today's prices. */
  private async priceSeats(eventId: string, seatIds: string[]): Promise<{ items: BookingItem[]; currency: string }> {
    const { state: event } = await this.events.load(eventStream(eventId));
    if (event.status === 'None') throw new DomainError('not-found', 'No such event');
    if (event.status !== 'PUBLISHED') throw new DomainError('not-bookable', `The event is ${event.status}; it does not sell seats`);
    const { state: venue } = await this.venues.load(venueStream(event.venueId));
    if (venue.status === 'None') throw new DomainError('not-found', 'The event has no venue');
    const unknownSeatIds = seatIds.filter((seatId) => !venue.seats.has(seatId));
    if (unknownSeatIds.length > 0) {
      throw new DomainError('unprocessable', "Some of these seats are not in the event's venue", { unknownSeatIds });
    }
    const items = seatIds.map((seatId) => {
      const { type } = venue.seats.get(seatId)!;
      const priceMinor = event.prices.get(type);
      if (priceMinor === undefined) throw new DomainError('not-bookable', `The event has no price for ${type} seats`);
      return { seatId, priceMinor };
    });
    return { items, currency: event.currency };
  }
}

/**
 * The owner cancels: the booking first (so it can never be confirmed afterwards), then its seats
 * go back. A paid booking's refund follows from the answer (the payment handler does it).
 */
@CommandHandler(CancelBookingMessage)
export class CancelBookingHandler implements ICommandHandler<CancelBookingMessage> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly inventory: SeatInventoryService,
  ) {}

  async execute({ bookingId, userId, context }: CancelBookingMessage) {
    const { state, position } = await cancelThenRelease(this.store, this.inventory, bookingId, { type: 'CancelBooking', data: { bookingId, userId } }, context);
    // A booking with a payment was paid: the caller refunds it (refunds happen once, however often this runs).
    return { position, paymentId: state.status === 'None' ? null : state.paymentId };
  }
}

export class ExpireBookingMessage extends Command<{ expired: boolean }> {
  constructor(
    readonly bookingId: string,
    readonly context: MessageContext,
  ) {
    super();
  }
}

export class CancelForEventMessage extends Command<{ cancelled: boolean }> {
  constructor(
    readonly bookingId: string,
    readonly context: MessageContext,
  ) {
    super();
  }
}

/**
 * A hold that ran out, or an event that was cancelled: the booking stream decides (a payment that
 * confirmed it first wins, and the other command changes nothing), then its seats go back.
 */
@CommandHandler(ExpireBookingMessage)
export class ExpireBookingHandler implements ICommandHandler<ExpireBookingMessage> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly inventory: SeatInventoryService,
  ) {}

  async execute({ bookingId, context }: ExpireBookingMessage) {
    const command = { type: 'ExpireBooking', data: { bookingId, now: new Date().toISOString() } } as const;
    return { expired: (await cancelThenRelease(this.store, this.inventory, bookingId, command, context)).events.length > 0 };
  }
}

@CommandHandler(CancelForEventMessage)
export class CancelForEventHandler implements ICommandHandler<CancelForEventMessage> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly inventory: SeatInventoryService,
  ) {}

  async execute({ bookingId, context }: CancelForEventMessage) {
    const cancelled = await cancelThenRelease(this.store, this.inventory, bookingId, { type: 'CancelForEvent', data: { bookingId } }, context);
    return { cancelled: cancelled.events.length > 0 };
  }
}

/**
 * Every way a booking ends goes through here: the booking stream decides (a payment that confirmed
 * it first wins, and an expiry then changes nothing), and a booking that is cancelled afterwards
 * gets its seats back — again, harmlessly, when a retry finds it cancelled already, which finishes
 * what a crash between the two writes left undone.
 */
const cancelThenRelease = async (
  store: EventStore,
  inventory: SeatInventoryService,
  bookingId: string,
  command: Extract<BookingCommand, { type: 'CancelBooking' | 'ExpireBooking' | 'CancelForEvent' }>,
  context: MessageContext,
) => {
  const handled = await handleCommand(store, bookingStream(bookingId), bookingDecider, command, context);
  if (handled.state.status !== 'CANCELLED') return handled;
  const { eventId } = handled.state.placed;
  const released = await inventory.execute({ type: 'ReleaseSeats', data: { eventId, bookingId, reason: 'booking-cancelled' } }, context);
  return { ...handled, position: latestPosition(handled.position, released.position) };
};

export class ReleaseOrphanedSeatsMessage extends Command<{ released: boolean }> {
  constructor(
    readonly bookingId: string,
    readonly eventId: string,
    readonly context: MessageContext,
  ) {
    super();
  }
}

/** Seats reserved for a booking that was never recorded go back; a booking that exists keeps them. */
@CommandHandler(ReleaseOrphanedSeatsMessage)
export class ReleaseOrphanedSeatsHandler implements ICommandHandler<ReleaseOrphanedSeatsMessage> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly inventory: SeatInventoryService,
  ) {}

  async execute({ bookingId, eventId, context }: ReleaseOrphanedSeatsMessage) {
    const { revision } = await this.store.readStream(bookingStream(bookingId));
    if (revision !== 'no_stream') return { released: false };
    const released = await this.inventory.execute({ type: 'ReleaseSeats', data: { eventId, bookingId, reason: 'booking-not-recorded' } }, context);
    return { released: released.events.length > 0 };
  }
}
