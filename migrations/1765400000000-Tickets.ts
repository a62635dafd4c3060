import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tickets and entry (#20), beyond data-model.md, whose `ticket_reference` ("QR code reference")
 * is where a booking's life ended so far:
 *
 * - `ticketing.signing_keys`: each event's Ed25519 keys that sign its tickets' codes
 *   (src/write/tickets/ticket-keys.ts). Not a read model — the log cannot rebuild a private key —
 *   so a schema of its own that replays never touch. The private half is AES-256-GCM ciphertext
 *   under a key derived from TICKET_KEY_SECRET; at most one key per event signs (`retired_at` IS NULL),
 *   retired keys still verify, revoked ones do not.
 * - `booking.check_ins`: the read model of the door, one row per scan recorded in the log
 *   (TicketAdmitted, DuplicateScanRecorded). At most one ADMITTED row per ticket: when an offline
 *   gate uploads an earlier scan, the row it supersedes becomes a DUPLICATE.
 */
export class Tickets1765400000000 implements MigrationInterface {
  name = 'Tickets1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS ticketing`);
    await queryRunner.query(`
      CREATE TABLE ticketing.signing_keys (
        event_id    UUID NOT NULL,
        kid         VARCHAR(64) NOT NULL,
        public_jwk  JSONB NOT NULL,
        private_key BYTEA NOT NULL,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        retired_at  TIMESTAMPTZ,
        revoked_at  TIMESTAMPTZ,
        PRIMARY KEY (event_id, kid)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX idx_signing_key_current ON ticketing.signing_keys (event_id) WHERE retired_at IS NULL`);
    await queryRunner.query(`CREATE TYPE booking.check_in_outcome AS ENUM ('ADMITTED', 'DUPLICATE')`);
    await queryRunner.query(`
      CREATE TABLE booking.check_ins (
        id          UUID PRIMARY KEY,
        ticket_id   UUID NOT NULL,
        event_id    UUID NOT NULL,
        booking_id  UUID NOT NULL,
        seat_id     UUID NOT NULL,
        gate        VARCHAR(100) NOT NULL,
        scanned_at  TIMESTAMP NOT NULL,
        outcome     booking.check_in_outcome NOT NULL,
        recorded_at TIMESTAMP NOT NULL
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX idx_check_in_admitted ON booking.check_ins (ticket_id) WHERE outcome = 'ADMITTED'`);
    await queryRunner.query(`CREATE INDEX idx_check_in_event ON booking.check_ins (event_id, outcome, gate)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE booking.check_ins`);
    await queryRunner.query(`DROP TYPE booking.check_in_outcome`);
    await queryRunner.query(`DROP SCHEMA ticketing CASCADE`);
  }
}
