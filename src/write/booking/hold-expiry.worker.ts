import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { ADVISORY_LOCKS } from '../../advisory-locks.js';
import { Environment } from '../../config.js';
import { EndBookingMessage, ReleaseOrphanedSeatsMessage } from './booking.handler.js';

const SWEEP_LIMIT = 100;
const { namespace: SWEEPS, expiredHolds: EXPIRY_SWEEP, orphanedReservations: ORPHAN_SWEEP } = ADVISORY_LOCKS.sweeps;

/**
 * Ends the holds of PENDING bookings past `expires_at` (data-model.md §5.1's expired-bookings query),
 * every BOOKING_EXPIRY_SWEEP_SECONDS. The booking stream decides each expiry (a payment that
 * confirmed it first wins), so an expiry decided twice changes the booking once. A hold ends at most
 * one sweep interval, plus the projection lag of the read model, after it expired.
 *
 * Instances take turns through a transaction-scoped advisory lock, not §5.1's FOR UPDATE SKIP
 * LOCKED: a row lock gives the transaction an id, held while the sweep sends its commands, and an
 * open transaction id holds back every reader of the log (they read below the server's oldest one).
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

  /** `work` in a transaction holding the sweep's advisory lock, if no other instance holds it; reads only, so no transaction id. */
  private exclusively(sweep: typeof EXPIRY_SWEEP | typeof ORPHAN_SWEEP, work: (tx: EntityManager) => Promise<number>): Promise<number> {
    return this.db.transaction(async (tx) => {
      const [{ locked }] = await tx.query(`SELECT pg_try_advisory_xact_lock($1, $2) AS locked`, [SWEEPS, sweep]);
      return locked ? work(tx) : 0;
    });
  }

  /** One sweep; answers how many holds it ended. */
  async sweep(): Promise<number> {
    await this.releaseOrphans();
    return this.exclusively(EXPIRY_SWEEP, async (tx) => {
      const expired: { id: string }[] = await tx.query(
        `SELECT b.id FROM booking.bookings b
          WHERE b.status = 'PENDING' AND b.expires_at < (now() AT TIME ZONE 'UTC')
          ORDER BY b.expires_at LIMIT $1`,
        [SWEEP_LIMIT],
      );
      let ended = 0;
      const correlationId = randomUUID();
      for (const { id } of expired) {
        const context = { correlationId, causationId: `hold-expiry:${id}`, userId: 'system:hold-expiry' };
        const expire = { type: 'ExpireBooking', data: { bookingId: id, now: new Date().toISOString() } } as const;
        if ((await this.commands.execute(new EndBookingMessage(expire, context))).ended) ended++;
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
    return this.exclusively(ORPHAN_SWEEP, async (tx) => {
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
