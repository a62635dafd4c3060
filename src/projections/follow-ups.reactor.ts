import { Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { BookingCancelled, BookingConfirmed, BookingPlaced } from '../write/booking/booking.events.js';
import { EndBookingMessage } from '../write/booking/booking.handler.js';
import type { MessageContext, Recorded } from '../write/event-store/event-store.port.js';
import type { PaymentRefunded, RefundRequested } from '../write/payment/payment.events.js';
import type { SalesClosed, SeatsReserved } from '../write/seat-inventory/seat-inventory.events.js';
import { SeatInventoryService } from '../write/seat-inventory/seat-inventory.service.js';
import type { Reactor } from './reactor.js';

type Followed = SeatsReserved | BookingPlaced | BookingConfirmed | BookingCancelled | SalesClosed | RefundRequested | PaymentRefunded;

/**
 * What must follow from an event, however the process that appended it ended: a cancelled
 * booking is settled (its seats go back, its payment, if it had one, is refunded); a cancelled
 * event's bookings are cancelled; a reservation is noted, so that its seats go back if its booking
 * never comes; a hold's end is noted until its booking is confirmed or cancelled (the hold-expiry
 * worker ends it then); a requested refund is noted until it is recorded (the refund worker asks
 * the provider). The command handlers do the same right away where they can; this reactor follows
 * the log with a checkpoint, so what a crash interrupted still happens. Every step is idempotent.
 */
@Injectable()
export class FollowUps implements Reactor<Followed> {
  readonly name = 'follow-ups';
  readonly handles = new Set<Followed['type']>(['SeatsReserved', 'BookingPlaced', 'BookingConfirmed', 'BookingCancelled', 'SalesClosed', 'RefundRequested', 'PaymentRefunded']);
  private readonly logger = new Logger(FollowUps.name);

  constructor(
    private readonly inventory: SeatInventoryService,
    private readonly commands: CommandBus,
    private readonly db: DataSource,
  ) {}

  async react(batch: Recorded<Followed>[]): Promise<void> {
    const only = <T extends Followed['type']>(...types: T[]) => batch.filter((event): event is Recorded<Extract<Followed, { type: T }>> => types.includes(event.type as T));
    await this.noteReservations(only('SeatsReserved'));
    await this.noteHolds(only('BookingPlaced'), only('BookingConfirmed', 'BookingCancelled'));
    await this.noteRefunds(only('RefundRequested'), only('PaymentRefunded'));
    for (const event of batch) {
      const context: MessageContext = { correlationId: event.metadata.correlationId, causationId: event.metadata.eventId, userId: 'system:follow-ups' };
      if (event.type === 'BookingCancelled') await this.settle(event.data.bookingId, context);
      if (event.type === 'SalesClosed') await this.afterSalesClosed(event.data.eventId, context);
    }
  }

  /** Every reservation is checked later against its booking (HoldExpiryWorker.releaseOrphans); a batch's in one statement. */
  private async noteReservations(reserved: Recorded<SeatsReserved>[]) {
    if (reserved.length === 0) return;
    await this.db.query(
      `INSERT INTO projections.reservation_checks (booking_id, event_id, reserved_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) ON CONFLICT (booking_id) DO NOTHING`,
      [reserved.map((event) => event.data.bookingId), reserved.map((event) => event.data.eventId), reserved.map((event) => event.metadata.occurredAt)],
    );
  }

  /** Holds to end when they expire, a batch's in two statements: placed ones in, then those confirmed or cancelled since out. */
  private async noteHolds(placed: Recorded<BookingPlaced>[], ended: Recorded<BookingConfirmed | BookingCancelled>[]) {
    if (placed.length > 0) {
      await this.db.query(
        `INSERT INTO projections.hold_deadlines (booking_id, expires_at)
         SELECT * FROM unnest($1::uuid[], $2::timestamptz[]) ON CONFLICT (booking_id) DO NOTHING`,
        [placed.map((event) => event.data.bookingId), placed.map((event) => event.data.expiresAt)],
      );
    }
    if (ended.length > 0) await this.db.query(`DELETE FROM projections.hold_deadlines WHERE booking_id = ANY($1::uuid[])`, [ended.map((event) => event.data.bookingId)]);
  }

  /** Refunds for the refund worker to carry out, due at once; crossed off when recorded. */
  private async noteRefunds(requested: Recorded<RefundRequested>[], refunded: Recorded<PaymentRefunded>[]) {
    if (requested.length > 0) {
      await this.db.query(
        `INSERT INTO projections.refunds_due (payment_id, requested_at, due_at)
         SELECT id, at, now() FROM unnest($1::uuid[], $2::timestamptz[]) AS r(id, at) ON CONFLICT (payment_id) DO NOTHING`,
        [requested.map((event) => event.data.paymentId), requested.map((event) => event.metadata.occurredAt)],
      );
    }
    if (refunded.length > 0) await this.db.query(`DELETE FROM projections.refunds_due WHERE payment_id = ANY($1::uuid[])`, [refunded.map((event) => event.data.paymentId)]);
  }

  private settle(bookingId: string, context: MessageContext) {
    return this.commands.execute(new EndBookingMessage({ type: 'SettleCancellation', data: { bookingId } }, context));
  }

  private async afterSalesClosed(eventId: string, context: MessageContext) {
    const bookings = await this.inventory.bookingsHolding(eventId);
    for (const bookingId of bookings) await this.commands.execute(new EndBookingMessage({ type: 'CancelForEvent', data: { bookingId } }, context));
    if (bookings.length > 0) this.logger.log(`Cancelled ${bookings.length} bookings of cancelled event ${eventId}`);
  }
}
