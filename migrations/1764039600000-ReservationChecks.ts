import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reservations waiting to be matched with their booking. A booking is recorded right after its
 * seats are reserved; a process that dies between the two writes leaves seats held by a booking
 * that does not exist. The follow-ups reactor notes every reservation here, and the hold-expiry
 * worker releases, after a grace period, those whose booking never came.
 */
export class ReservationChecks1764039600000 implements MigrationInterface {
  name = 'ReservationChecks1764039600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE projections.reservation_checks (
        booking_id  UUID PRIMARY KEY,
        event_id    UUID NOT NULL,
        reserved_at TIMESTAMPTZ NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX idx_reservation_checks_reserved_at ON projections.reservation_checks (reserved_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS projections.reservation_checks`);
  }
}
