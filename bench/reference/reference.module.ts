import { Body, Controller, Get, Inject, Module, Param, Post } from '@nestjs/common';
import pg from 'pg';
import { Authenticated, AuthModule, type AuthenticatedUser, CurrentUser } from '../../src/auth.js';
import { EnvironmentModule } from '../../src/app.module.js';
import { Environment } from '../../src/config.js';
import { EventIdParam } from '../../src/write/catalog/catalog.dto.js';
import { PlaceBookingBody } from '../../src/write/booking/booking.dto.js';
import { DomainError } from '../../src/write/domain-error.js';
import { HttpDrain } from '../../src/http-drain.js';

/**
 * The reference: the original design (data-model.md), served behind the same HTTP stack as Eventix
 * (NestJS, the same JWT guard, DTO validation and problem+json), so that both pay the same
 * per-request cost. A booking is one PostgreSQL transaction over booking.bookings/booking_items:
 *  - `as-written`: data-model.md §5.2's pessimistic query, exactly: it locks the active booking
 *    items of the requested seats, which do not exist yet for a free seat, so two transactions can
 *    both find nothing and both book it;
 *  - `seats-first`: the fair correction: lock the requested seat rows first (in id order, against
 *    deadlocks), then check and insert.
 */
const POOL = Symbol('POOL');
const LOCKING = process.env.REFERENCE_LOCKING === 'as-written' ? 'as-written' : 'seats-first';

@Controller()
class ReferenceController {
  constructor(
    @Inject(POOL) private readonly pool: pg.Pool,
    private readonly env: Environment,
  ) {}

  @Post('bookings')
  @Authenticated()
  async place(@Body() { eventId, seatIds }: PlaceBookingBody, @CurrentUser() user: AuthenticatedUser) {
    // The original design has no best available: the seats only.
    if (!seatIds) throw new DomainError('invalid', 'seatIds is required');
    const body = { eventId, seatIds };
    if (body.seatIds.length > this.env.MAX_SEATS_PER_BOOKING) throw new DomainError('invalid', `A booking holds at most ${this.env.MAX_SEATS_PER_BOOKING} seats`);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (LOCKING === 'seats-first') await client.query('SELECT id FROM catalog.seats WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [body.seatIds]);
      // data-model.md §5.2, as written.
      const taken = await client.query(
        `SELECT bi.seat_id FROM booking.booking_items bi JOIN booking.bookings b ON b.id = bi.booking_id
          WHERE bi.seat_id = ANY($1::uuid[]) AND b.event_id = $2 AND b.status IN ('PENDING', 'CONFIRMED') FOR UPDATE`,
        [body.seatIds, body.eventId],
      );
      if (taken.rowCount! > 0) {
        await client.query('ROLLBACK');
        throw new DomainError('conflict', 'Some of these seats are already taken', { conflictingSeatIds: taken.rows.map((r) => r.seat_id) });
      }
      const priced = await client.query(
        `SELECT s.id, p.price, e.currency FROM catalog.seats s JOIN catalog.events e ON e.venue_id = s.venue_id AND e.id = $2
           JOIN catalog.event_seat_prices p ON p.event_id = e.id AND p.seat_type = s.type WHERE s.id = ANY($1::uuid[])`,
        [body.seatIds, body.eventId],
      );
      if (priced.rowCount !== body.seatIds.length) {
        await client.query('ROLLBACK');
        throw new DomainError('unprocessable', "Some of these seats are not in the event's venue");
      }
      // The event's currency (the catalog's column, an extension of data-model.md); the sum is PostgreSQL's, exact.
      const booking = await client.query(
        `INSERT INTO booking.bookings (user_id, event_id, status, total_amount, currency, expires_at)
         VALUES ($1, $2, 'PENDING', (SELECT sum(p) FROM unnest($3::numeric[]) AS p), $4, now() + make_interval(secs => $5)) RETURNING id, expires_at`,
        [user.userId, body.eventId, priced.rows.map((r) => r.price), priced.rows[0].currency, this.env.BOOKING_HOLD_SECONDS],
      );
      await client.query(
        `INSERT INTO booking.booking_items (booking_id, seat_id, price) SELECT $1, s.id, s.price FROM unnest($2::uuid[], $3::numeric[]) AS s(id, price)`,
        [booking.rows[0].id, priced.rows.map((r) => r.id), priced.rows.map((r) => r.price)],
      );
      await client.query('COMMIT');
      return { id: booking.rows[0].id, status: 'PENDING', items: priced.rows.map((r) => ({ seatId: r.id, price: r.price })) };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** data-model.md §5.1 "Check seat availability for event", with the booking join made to work. */
  @Get('events/:eventId/seat-map')
  async seatMap(@Param() { eventId }: EventIdParam) {
    const { rows } = await this.pool.query(
      `SELECT s.id AS "seatId", s.row, s.number, s.type, p.price::text AS price,
              CASE WHEN EXISTS (SELECT 1 FROM booking.booking_items bi JOIN booking.bookings b ON b.id = bi.booking_id
                                 WHERE bi.seat_id = s.id AND b.event_id = e.id AND b.status IN ('PENDING', 'CONFIRMED'))
                   THEN 'RESERVED' ELSE 'AVAILABLE' END AS status
         FROM catalog.events e JOIN catalog.seats s ON s.venue_id = e.venue_id
         LEFT JOIN catalog.event_seat_prices p ON p.event_id = e.id AND p.seat_type = s.type
        WHERE e.id = $1 ORDER BY s.row, s.number`,
      [eventId],
    );
    return { eventId, seats: rows };
  }
}

@Module({
  imports: [EnvironmentModule.register(), AuthModule],
  controllers: [ReferenceController],
  // HttpDrain: configureApp puts its middleware first in every app.
  providers: [HttpDrain, { provide: POOL, inject: [Environment], useFactory: (env: Environment) => new pg.Pool({ connectionString: env.DATABASE_URL, max: 16 }) }],
})
export class ReferenceModule {}
