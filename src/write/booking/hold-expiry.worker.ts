import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Environment } from '../../config.js';
import { ExpireBookingMessage, ReleaseOrphanedSeatsMessage } from './booking.handler.js';

const SWEEP_LIMIT = 100;

/**
 * Ends the holds of PENDING bookings past `expires_at`, every BOOKING_EXPIRY_SWEEP_SECONDS, in every
 * instance: data-model.md §5.1's expired-bookings query with FOR UPDATE SKIP LOCKED shares the work
 * out, and the booking stream decides each expiry (a payment that confirmed it first wins), so two
 * instances expiring one booking change it once. A hold ends at most one sweep interval, plus the
 * projection lag of the read model, after it expired.
 */
@Injectable()
export class HoldExpiryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HoldExpiryWorker.name);
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;

  constructor(
    private readonly db: DataSource,
    private readonly commands: CommandBus,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .then(() => undefined, (error: Error) => this.logger.warn(`Sweep failed: ${error.message}`))
        .finally(() => (this.sweeping = undefined));
    }, this.env.BOOKING_EXPIRY_SWEEP_SECONDS * 1000);
  }

  async onApplicationShutdown() {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** One sweep; answers how many holds it ended. */
  async sweep(): Promise<number> {
    await this.releaseOrphans();
    return this.db.transaction(async (tx) => {
      const expired: { id: string }[] = await tx.query(
        `SELECT b.id FROM booking.bookings b
          WHERE b.status = 'PENDING' AND b.expires_at < (now() AT TIME ZONE 'UTC')
          ORDER BY b.expires_at LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [SWEEP_LIMIT],
      );
      let ended = 0;
      const correlationId = randomUUID();
      for (const { id } of expired) {
        const context = { correlationId, causationId: `hold-expiry:${id}`, userId: 'system:hold-expiry' };
        if ((await this.commands.execute(new ExpireBookingMessage(id, context))).expired) ended++;
      }
      if (ended > 0) this.logger.log(`Ended ${ended} expired holds`);
      return ended;
    });
  }

  /**
   * Seats reserved for a booking that was never recorded (the process died between the two writes)
   * go back after RESERVATION_GRACE_SECONDS; reservations whose booking exists are crossed off.
   */
  async releaseOrphans(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const due: { booking_id: string; event_id: string }[] = await tx.query(
        `SELECT booking_id, event_id FROM projections.reservation_checks
          WHERE reserved_at < now() - make_interval(secs => $1)
          ORDER BY reserved_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [this.env.RESERVATION_GRACE_SECONDS, SWEEP_LIMIT * 10],
      );
      let released = 0;
      for (const { booking_id: bookingId, event_id: eventId } of due) {
        const context = { correlationId: randomUUID(), causationId: `orphan-check:${bookingId}`, userId: 'system:hold-expiry' };
        if ((await this.commands.execute(new ReleaseOrphanedSeatsMessage(bookingId, eventId, context))).released) released++;
      }
      if (due.length > 0) await tx.query(`DELETE FROM projections.reservation_checks WHERE booking_id = ANY($1)`, [due.map((row) => row.booking_id)]);
      if (released > 0) this.logger.warn(`Released the seats of ${released} reservations whose booking was never recorded`);
      return released;
    });
  }
}
