import { Inject, Logger } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { createHash, randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import { Environment } from '../../config.js';
import { type Show, type ShowCommand, showDecider } from '../catalog/show.decider.js';
import { type ShowEvent, showStream } from '../catalog/show.events.js';
import { refuseUnknownSeats, type Venue, type VenueCommand, venueDecider } from '../catalog/venue.decider.js';
import { type SeatType, type VenueEvent, venueStream } from '../catalog/venue.events.js';
import { layoutOf, type VenueLayout } from '../catalog/venue-layout.js';
import { DomainError } from '../domain-error.js';
import { currencyOf, formatMoney } from '../money.js';
import { EVENT_STORE, type EventStore, latestPosition, type MessageContext, type Position } from '../event-store/event-store.port.js';
import { handleCommand, type Loaded, loadState, unwritten } from '../event-store/handle-command.js';
import { StreamCache } from '../event-store/stream-cache.js';
import { RefundPaymentMessage } from '../payment/payment.handler.js';
import { SeatInventoryService } from '../seat-inventory/seat-inventory.service.js';
import { type Booking, type BookingCommand, bookingDecider } from './booking.decider.js';
import { type BookingItem, bookingStream } from './booking.events.js';

/** What POST /bookings answers, the first time and on every retry with the same Idempotency-Key. */
export type PlacedBooking = { booking: Extract<Booking, { placed: unknown }>; position: Position | undefined };

/** Best available: `quantity` adjacent seats the service chooses, of `seatType` (null: any priced type) in `section` (null: any). */
export type BestAvailable = { quantity: number; seatType: SeatType | null; section: string | null };
/** The seats a buyer asks for: named, or best available. */
export type SeatsAsked = { seatIds: string[] } | { bestAvailable: BestAvailable };

export class PlaceBookingMessage extends Command<PlacedBooking> {
  constructor(
    readonly request: { userId: string; eventId: string; seats: SeatsAsked; idempotencyKey: string | null },
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
  private readonly shows: StreamCache<Show, ShowCommand, ShowEvent>;
  private readonly venues: StreamCache<Venue, VenueCommand, VenueEvent>;
  /** Each cached venue's layout for best available, built again when seats are added (the state is evolved in place). */
  private readonly layouts = new WeakMap<Venue, { seats: number; layout: VenueLayout }>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly inventory: SeatInventoryService,
    private readonly env: Environment,
  ) {
    // Neither is snapshotted: a show's stream is a handful of events, and a venue's a few dozen (up to
    // 1,000 seats each, 50 for 50,000 seats) whose snapshot would hold the same seats, no fewer bytes.
    this.shows = new StreamCache(store, showDecider);
    this.venues = new StreamCache(store, venueDecider, { capacity: 100 });
  }

  async execute({ request, context }: PlaceBookingMessage): Promise<PlacedBooking> {
    const { userId, eventId, seats, idempotencyKey } = request;
    const asked = 'seatIds' in seats ? { eventId, seatIds: [...seats.seatIds].sort() } : { eventId, bestAvailable: seats.bestAvailable };
    const requestHash = createHash('sha256').update(JSON.stringify(asked)).digest('hex');
    const bookingId = idempotencyKey ? uuidv5(`${userId}\n${idempotencyKey}`, IDEMPOTENT_BOOKING_NAMESPACE) : randomUUID();
    // A keyed request's stream may hold the first answer; a random id's stream is new, with nothing to read.
    const loaded = idempotencyKey ? await loadState(this.store, bookingStream(bookingId), bookingDecider) : unwritten(bookingDecider);
    const earlier = this.earlierAnswer(loaded, userId, requestHash);
    if (earlier) return earlier;

    // An instance's first booking of an event reads its inventory while it prices the seats, not after.
    this.inventory.preload(eventId);
    const sale = await this.saleOf(eventId);
    // 1. The seats: this append is where two bookings of one seat are told apart, and where a buyer's seats are counted.
    const maxSeatsPerUser = this.env.MAX_SEATS_PER_USER_PER_EVENT;
    let items: BookingItem[];
    let reserved: Awaited<ReturnType<SeatInventoryService['execute']>>;
    if ('seatIds' in seats) {
      items = this.price(sale, seats.seatIds);
      this.checkTotal(items.reduce((sum, item) => sum + item.priceMinor, 0), sale.event.currency);
      reserved = await this.inventory.execute({ type: 'ReserveSeats', data: { eventId, bookingId, seatIds: seats.seatIds, userId, maxSeatsPerUser } }, context);
    } else {
      const { quantity, seatType, section } = seats.bestAvailable;
      const { layout, seatTypes } = this.bestAvailableIn(sale, seats.bestAvailable);
      const command = { type: 'ReserveBest', data: { eventId, bookingId, userId, maxSeatsPerUser, quantity, seatType, seatTypes, section, layout } } as const;
      reserved = await this.inventory.execute(command, context);
      // The seats chosen now, or the first time (a retry that finds its reservation).
      const [chosen] = reserved.events;
      const seatIds = chosen?.type === 'SeatsReserved' ? chosen.data.seatIds : await this.inventory.seatsOf(eventId, bookingId);
      if (!seatIds) throw new DomainError('conflict', 'The seats chosen for this request were released meanwhile; send it again', { type: 'not-enough-seats', available: 0 });
      items = this.price(sale, seatIds);
    }
    const totalMinor = items.reduce((sum, item) => sum + item.priceMinor, 0);
    const { currency } = sale.event;
    // 2. The booking. Should it fail, the seats go back: no seat stays held by a booking that does not exist.
    const expiresAt = new Date(Date.now() + this.env.BOOKING_HOLD_SECONDS * 1000).toISOString();
    const data = {
      bookingId,
      eventId,
      userId,
      items,
      totalMinor,
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

  /** The event, if it sells seats now, and its venue. */
  private async saleOf(eventId: string): Promise<Sale> {
    const { state: event } = await this.shows.load(showStream(eventId));
    if (event.status === 'None') throw new DomainError('not-found', 'No such event');
    if (event.status !== 'PUBLISHED') throw new DomainError('not-bookable', `The event is ${event.status}; it does not sell seats`);
    if (Date.now() >= Date.parse(event.startTime)) throw new DomainError('not-bookable', 'The event has started; its seats are no longer sold', { type: 'event-started' });
    const { state: venue } = await this.venues.load(venueStream(event.venueId));
    if (venue.status === 'None') throw new DomainError('not-found', 'The event has no venue');
    return { event, venue };
  }

  /** Checks that the seats are the venue's, and takes today's prices. */
  private price({ event, venue }: Sale, seatIds: string[]): BookingItem[] {
    refuseUnknownSeats(venue, seatIds);
    return seatIds.map((seatId) => {
      const { type } = venue.seats.get(seatId)!;
      const priceMinor = event.prices.get(type);
      if (priceMinor === undefined) throw new DomainError('not-bookable', `The event has no price for ${type} seats`);
      return { seatId, priceMinor };
    });
  }

  /** What DECIMAL(10,2) holds, in the event's currency's minor units: 99,999,999.99 dollars, but 99,999,999 yen. */
  private checkTotal(totalMinor: number, currency: string): void {
    const { maxMinor } = currencyOf(currency);
    if (totalMinor > maxMinor) {
      throw new DomainError('invalid', `The total, ${formatMoney(totalMinor, currency)} ${currency}, is more than one booking can hold (${formatMoney(maxMinor, currency)} ${currency}); book fewer seats at once`);
    }
  }

  /**
   * What best available chooses among: the venue's layout, and the seat types it may choose (the
   * one asked for, or every type the event has a price for). An unknown section is a 400: the
   * buyer asked for something this venue does not have, not for seats that are gone.
   */
  private bestAvailableIn({ event, venue }: Sale, { quantity, seatType, section }: BestAvailable): { layout: VenueLayout; seatTypes: SeatType[] } {
    let memo = this.layouts.get(venue);
    if (memo?.seats !== venue.seats.size) this.layouts.set(venue, (memo = { seats: venue.seats.size, layout: layoutOf(venue.seats.values()) }));
    const { layout } = memo;
    if (section !== null && !layout.sections.has(section)) {
      throw new DomainError('invalid', `The venue has no section ${JSON.stringify(section)}; it has ${[...layout.sections].map((s) => JSON.stringify(s)).join(', ') || 'no seats'}`);
    }
    if (seatType !== null && !event.prices.has(seatType)) throw new DomainError('not-bookable', `The event has no price for ${seatType} seats`);
    const seatTypes = seatType !== null ? [seatType] : [...event.prices.keys()];
    // Whichever seats are chosen, their total must be one a booking can hold.
    this.checkTotal(quantity * Math.max(0, ...seatTypes.map((type) => event.prices.get(type)!)), event.currency);
    return { layout, seatTypes };
  }
}

type Sale = { event: Extract<Show, { venueId: string }>; venue: Extract<Venue, { seats: unknown }> };

/**
 * The ways a booking ends before its time: its owner cancels, its hold runs out, its event is
 * cancelled — or it is cancelled already and only what it holds is to be given back (the
 * follow-ups reactor sends that for every BookingCancelled, in case a crash came between).
 */
export type EndBooking =
  | Extract<BookingCommand, { type: 'ExpireBooking' | 'CancelForEvent' }>
  | { type: 'CancelBooking'; data: { bookingId: string; userId: string } }
  | { type: 'SettleCancellation'; data: { bookingId: string } };

export class EndBookingMessage extends Command<{ ended: boolean; position: Position | undefined }> {
  constructor(
    readonly command: EndBooking,
    readonly context: MessageContext,
  ) {
    super();
  }
}

/**
 * The booking stream decides (a payment that confirmed it first wins, and an expiry then changes
 * nothing; someone else's booking is a 404). Then, in one place whatever ended it, a cancelled
 * booking gives back its seats and, if it was paid, its payment's money. Each step is idempotent,
 * so running it again — a retried cancel, or the follow-ups reactor — finishes what was left undone.
 */
@CommandHandler(EndBookingMessage)
export class EndBookingHandler implements ICommandHandler<EndBookingMessage> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly inventory: SeatInventoryService,
    private readonly commands: CommandBus,
  ) {}

  async execute({ command, context }: EndBookingMessage) {
    const ended = await this.end(command, context);
    const booking = ended.state;
    if (booking.status !== 'CANCELLED') return { ended: false, position: ended.position };
    const { bookingId, eventId } = booking.placed;
    const released = await this.inventory.execute({ type: 'ReleaseSeats', data: { eventId, bookingId, reason: 'booking-cancelled' } }, context);
    const refunded = booking.paymentId ? await this.commands.execute(new RefundPaymentMessage(booking.paymentId, 'booking-cancelled', context)) : undefined;
    return { ended: ended.events.length > 0, position: latestPosition(ended.position, released.position, refunded?.position) };
  }

  private async end(command: EndBooking, context: MessageContext) {
    const stream = bookingStream(command.data.bookingId);
    if (command.type === 'SettleCancellation') return { ...(await loadState(this.store, stream, bookingDecider)), events: [] };
    if (command.type !== 'CancelBooking') return handleCommand(this.store, stream, bookingDecider, command, context);
    // Its owner's cancel is decided knowing when the booking's event starts.
    const loaded = await loadState(this.store, stream, bookingDecider);
    const show = loaded.state.status === 'None' ? undefined : (await loadState(this.store, showStream(loaded.state.placed.eventId), showDecider)).state;
    const eventStartsAt = show && show.status !== 'None' ? show.startTime : null;
    return handleCommand(this.store, stream, bookingDecider, { type: 'CancelBooking', data: { ...command.data, eventStartsAt, now: new Date().toISOString() } }, context, loaded);
  }
}

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
