import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Reactor } from '../projections/projection-runner.js';
import { bookingDecider, bookingStream } from './booking/booking.decider.js';
import { CancelForEventMessage } from './booking/booking.handler.js';
import { EVENT_STORE, type EventStore, type MessageContext, type Recorded } from './event-store/event-store.port.js';
import { loadState } from './event-store/handle-command.js';
import { RefundPaymentMessage } from './payment/payment.handler.js';
import { SeatInventoryService } from './seat-inventory/seat-inventory.service.js';

/**
 * What must follow from an event, however the process that appended it ended: a cancelled
 * booking's seats go back and its payment, if it had one, is refunded; a cancelled event's
 * bookings are cancelled; a reservation is noted, so that its seats go back if its booking never comes. The command handlers do the same right away; this reactor follows the
 * log with a checkpoint, so what a crash interrupted still happens. Every step is idempotent.
 */
@Injectable()
export class FollowUps implements Reactor {
  readonly name = 'follow-ups';
  readonly handles = new Set(['SeatsReserved', 'BookingCancelled', 'SalesClosed']);
  private readonly logger = new Logger(FollowUps.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly inventory: SeatInventoryService,
    private readonly commands: CommandBus,
    private readonly db: DataSource,
  ) {}

  async react(batch: Recorded[]): Promise<void> {
    await this.noteReservations(batch.filter((event) => event.type === 'SeatsReserved'));
    for (const event of batch) {
      const context: MessageContext = { correlationId: event.metadata.correlationId, causationId: event.metadata.eventId, userId: 'system:follow-ups' };
      if (event.type === 'BookingCancelled') await this.afterCancellation((event.data as { bookingId: string }).bookingId, context);
      if (event.type === 'SalesClosed') await this.afterSalesClosed((event.data as { eventId: string }).eventId, context);
    }
  }

  /** Every reservation is checked later against its booking (HoldExpiryWorker.releaseOrphans); a batch's in one statement. */
  private async noteReservations(reserved: Recorded[]) {
    if (reserved.length === 0) return;
    const data = reserved.map((event) => event.data as { bookingId: string; eventId: string });
    await this.db.query(
      `INSERT INTO projections.reservation_checks (booking_id, event_id, reserved_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) ON CONFLICT (booking_id) DO NOTHING`,
      [data.map((d) => d.bookingId), data.map((d) => d.eventId), reserved.map((event) => event.metadata.occurredAt)],
    );
  }

  private async afterCancellation(bookingId: string, context: MessageContext) {
    const { state } = await loadState(this.store, bookingStream(bookingId), bookingDecider);
    if (state.status === 'None') return;
    await this.inventory.execute({ type: 'ReleaseSeats', data: { eventId: state.placed.eventId, bookingId, reason: 'booking-cancelled' } }, context);
    if (state.paymentId) await this.commands.execute(new RefundPaymentMessage(state.paymentId, 'booking-cancelled', context));
  }

  private async afterSalesClosed(eventId: string, context: MessageContext) {
    const bookings = await this.inventory.bookingsHolding(eventId);
    for (const bookingId of bookings) await this.commands.execute(new CancelForEventMessage(bookingId, context));
    if (bookings.length > 0) this.logger.log(`Cancelled ${bookings.length} bookings of cancelled event ${eventId}`);
  }
}
