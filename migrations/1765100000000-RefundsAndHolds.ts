import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Money that must go back, and holds that must end, each tracked apart from the read models (#16).
 *
 * - `payment.payment_status` gains REFUNDED: an extension of data-model.md's enum
 *   (PENDING, PROCESSING, SUCCESS, FAILED), for a payment whose refund the provider accepted.
 * - `projections.refunds_due`: refunds requested and not yet accepted by the provider, with
 *   when to ask next. The follow-ups reactor notes each RefundRequested; the refund worker asks
 *   the provider until it accepts, across restarts.
 * - `projections.hold_deadlines`: when each PENDING booking's hold ends. The follow-ups reactor
 *   notes each BookingPlaced and crosses it off when the booking is confirmed or cancelled; the
 *   hold-expiry worker reads it, not booking.bookings, so a hold ends even when the booking
 *   projector could not store its booking. Seeded from the PENDING bookings of the read model.
 * - `projections.unmatched_payment_outcomes`: provider outcomes, correctly signed, for a payment
 *   Eventix does not know. Accepted (a provider would otherwise retry them for days) and kept for
 *   an operator; `/health` counts them.
 */
export class RefundsAndHolds1765100000000 implements MigrationInterface {
  name = 'RefundsAndHolds1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TYPE payment.payment_status ADD VALUE IF NOT EXISTS 'REFUNDED'`);
    await queryRunner.query(`
      CREATE TABLE projections.refunds_due (
        payment_id   UUID PRIMARY KEY,
        requested_at TIMESTAMPTZ NOT NULL,
        due_at       TIMESTAMPTZ NOT NULL,
        attempts     INT NOT NULL DEFAULT 0,
        last_error   TEXT
      )`);
    await queryRunner.query(`CREATE INDEX idx_refunds_due_due_at ON projections.refunds_due (due_at)`);
    await queryRunner.query(`
      CREATE TABLE projections.hold_deadlines (
        booking_id UUID PRIMARY KEY,
        expires_at TIMESTAMPTZ NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX idx_hold_deadlines_expires_at ON projections.hold_deadlines (expires_at)`);
    await queryRunner.query(`
      INSERT INTO projections.hold_deadlines (booking_id, expires_at)
      SELECT id, expires_at AT TIME ZONE 'UTC' FROM booking.bookings WHERE status = 'PENDING' AND expires_at IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE projections.unmatched_payment_outcomes (
        provider_event_id TEXT PRIMARY KEY,
        payment_id        TEXT NOT NULL,
        body              JSONB NOT NULL,
        received_at       TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS projections.unmatched_payment_outcomes`);
    await queryRunner.query(`DROP TABLE IF EXISTS projections.hold_deadlines`);
    await queryRunner.query(`DROP TABLE IF EXISTS projections.refunds_due`);
    // PostgreSQL cannot drop an enum value; REFUNDED stays, unused.
  }
}
