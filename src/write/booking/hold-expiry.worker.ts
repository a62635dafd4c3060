import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ADVISORY_LOCKS, exclusively } from '../../advisory-locks.js';
import { Environment } from '../../config.js';
import { Periodic } from '../../periodic.js';
import { EndBookingMessage, ReleaseOrphanedSeatsMessage } from './booking.handler.js';

const SWEEP_LIMIT = 100;
const { expiredHolds: EXPIRY_SWEEP, orphanedReservations: ORPHAN_SWEEP } = ADVISORY_LOCKS.sweeps;

/**
 * Ends the holds of PENDING bookings past their `expiresAt`, every BOOKING_EXPIRY_SWEEP_SECONDS.
 * It reads projections.hold_deadlines, which the follow-ups reactor keeps from the booking streams
 * (BookingPlaced in, confirmed or cancelled out), not booking.bookings (data-model.md §5.1's
 * query): a booking the booking projector could not store, or a projector that is stuck, must not
 * keep seats held. The booking stream decides each expiry (a payment that confirmed it first
 * wins), so an expiry decided twice changes the booking once. A hold ends at most one sweep
 * interval, plus the follow-ups reactor's lag, after it expired.
 *
 * Instances take turns through a transaction-scoped advisory lock, not §5.1's FOR UPDATE SKIP
 * LOCKED: a row lock gives the transaction an id, held while the sweep sends its commands, and an
 * open transaction id holds back every reader of the log (they read below the server's oldest one).
 */
@Injectable()
export class HoldExpiryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HoldExpiryWorker.name);
  private readonly sweeps = new Periodic(() => this.sweep(), (error) => this.logger.warn(`Sweep failed: ${error.message}`));

  constructor(
    private readonly db: DataSource,
    private readonly commands: CommandBus,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap() {
    this.sweeps.start(this.env.BOOKING_EXPIRY_SWEEP_SECONDS * 1000);
  }

  onApplicationShutdown() {
    return this.sweeps.stop();
  }

  /** One sweep; answers how many holds it ended. */
  async sweep(): Promise<number> {
    await this.releaseOrphans();
    return exclusively(this.db, EXPIRY_SWEEP, 0, async (tx) => {
      // This process's clock decides, in the query as in the command: a hold it finds expired, the booking stream finds expired too.
      const now = new Date();
      const expired: { booking_id: string }[] = await tx.query(
        `SELECT booking_id FROM projections.hold_deadlines WHERE expires_at < $1 ORDER BY expires_at LIMIT $2`,
        [now, SWEEP_LIMIT],
      );
      let ended = 0;
      const correlationId = randomUUID();
      for (const { booking_id: bookingId } of expired) {
        const context = { correlationId, causationId: `hold-expiry:${bookingId}`, userId: 'system:hold-expiry' };
        const expire = { type: 'ExpireBooking', data: { bookingId, now: now.toISOString() } } as const;
        if ((await this.commands.execute(new EndBookingMessage(expire, context))).ended) ended++;
      }
      // Each of them is CONFIRMED or CANCELLED now. Outside the transaction: a write would give it an id.
      if (expired.length > 0) await this.db.query(`DELETE FROM projections.hold_deadlines WHERE booking_id = ANY($1)`, [expired.map((row) => row.booking_id)]);
      if (ended > 0) this.logger.log(`Ended ${ended} expired holds`);
      return ended;
    });
  }

  /**
   * Seats reserved for a booking that was never recorded (the process died between the two writes)
   * go back after RESERVATION_GRACE_SECONDS; reservations whose booking exists are crossed off.
   */
  async releaseOrphans(): Promise<number> {
    return exclusively(this.db, ORPHAN_SWEEP, 0, async (tx) => {
      const due: { booking_id: string; event_id: string }[] = await tx.query(
        `SELECT booking_id, event_id FROM projections.reservation_checks
          WHERE reserved_at < now() - make_interval(secs => $1)
          ORDER BY reserved_at LIMIT $2`,
        [this.env.RESERVATION_GRACE_SECONDS, SWEEP_LIMIT * 10],
      );
      let released = 0;
      for (const { booking_id: bookingId, event_id: eventId } of due) {
        const context = { correlationId: randomUUID(), causationId: `orphan-check:${bookingId}`, userId: 'system:hold-expiry' };
        if ((await this.commands.execute(new ReleaseOrphanedSeatsMessage(bookingId, eventId, context))).released) released++;
      }
      // Outside the transaction: the first write would give it an id. A crash before this line makes the next sweep check them again, which changes nothing.
      if (due.length > 0) await this.db.query(`DELETE FROM projections.reservation_checks WHERE booking_id = ANY($1)`, [due.map((row) => row.booking_id)]);
      if (released > 0) this.logger.warn(`Released the seats of ${released} reservations whose booking was never recorded`);
      return released;
    });
  }
}
