import { Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { BookingCancelled } from '../write/booking/booking.events.js';
import { EndBookingMessage } from '../write/booking/booking.handler.js';
import type { MessageContext, Recorded } from '../write/event-store/event-store.port.js';
import type { SalesClosed, SeatsReserved } from '../write/seat-inventory/seat-inventory.events.js';
import { SeatInventoryService } from '../write/seat-inventory/seat-inventory.service.js';
import type { Reactor } from './reactor.js';

type Followed = SeatsReserved | BookingCancelled | SalesClosed;

/**
 * What must follow from an event, however the process that appended it ended: a cancelled
 * booking is settled (its seats go back, its payment, if it had one, is refunded); a cancelled
 * event's bookings are cancelled; a reservation is noted, so that its seats go back if its booking
 * never comes. The command handlers do the same right away; this reactor follows the log with a
 * checkpoint, so what a crash interrupted still happens. Every step is idempotent.
 */
@Injectable()
export class FollowUps implements Reactor<Followed> {
  readonly name = 'follow-ups';
  readonly handles = new Set<Followed['type']>(['SeatsReserved', 'BookingCancelled', 'SalesClosed']);
  private readonly logger = new Logger(FollowUps.name);

  constructor(
    private readonly inventory: SeatInventoryService,
    private readonly commands: CommandBus,
    private readonly db: DataSource,
  ) {}

  async react(batch: Recorded<Followed>[]): Promise<void> {
    await this.noteReservations(batch.flatMap((event) => (event.type === 'SeatsReserved' ? [event] : [])));
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

  private settle(bookingId: string, context: MessageContext) {
    return this.commands.execute(new EndBookingMessage({ type: 'SettleCancellation', data: { bookingId } }, context));
  }

  private async afterSalesClosed(eventId: string, context: MessageContext) {
    const bookings = await this.inventory.bookingsHolding(eventId);
    for (const bookingId of bookings) await this.commands.execute(new EndBookingMessage({ type: 'CancelForEvent', data: { bookingId } }, context));
    if (bookings.length > 0) this.logger.log(`Cancelled ${bookings.length} bookings of cancelled event ${eventId}`);
  }
}
