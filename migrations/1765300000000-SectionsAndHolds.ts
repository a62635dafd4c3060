import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sections, ranks and the organiser's holds (#19), beyond data-model.md:
 *
 * - `catalog.seats` gains `section` ('' for a venue without sections, as every seat before this
 *   had), `rank` (the organiser's, or NULL: the layout's, computed where it is read by the same
 *   function as the write side's, src/write/catalog/venue-layout.ts) and `layout_order` (the order
 *   the venue's seats were added in, which the layout's ranks follow). A seat's position is now
 *   unique per (venue, section, row, number): idx_unique_seat_position is rebuilt with the section.
 *   Seats projected before this get `layout_order` by when they were created, then row and number:
 *   the order inside one request is not in the table. `eventix replay --projection catalog` gives
 *   them the order of the log.
 * - `catalog.seat_availability` gains `section` (the seat map is ordered by section, row, number)
 *   and `hold_id`, the organiser's hold that keeps a seat back; `catalog.seat_status` gains HELD.
 */
export class SectionsAndHolds1765300000000 implements MigrationInterface {
  name = 'SectionsAndHolds1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TYPE catalog.seat_status ADD VALUE IF NOT EXISTS 'HELD'`);
    await queryRunner.query(`
      ALTER TABLE catalog.seats
        ADD COLUMN section VARCHAR(50) NOT NULL DEFAULT '',
        ADD COLUMN rank INTEGER,
        ADD COLUMN layout_order INTEGER NOT NULL DEFAULT 0`);
    await queryRunner.query(`
      UPDATE catalog.seats s SET layout_order = o.n
        FROM (SELECT id, (row_number() OVER (PARTITION BY venue_id ORDER BY created_at, row, number) - 1)::int AS n FROM catalog.seats) o
       WHERE o.id = s.id`);
    await queryRunner.query(`DROP INDEX catalog.idx_unique_seat_position`);
    await queryRunner.query(`CREATE UNIQUE INDEX idx_unique_seat_position ON catalog.seats (venue_id, section, row, number)`);
    await queryRunner.query(`
      ALTER TABLE catalog.seat_availability
        ADD COLUMN section VARCHAR(50) NOT NULL DEFAULT '',
        ADD COLUMN hold_id UUID`);
    await queryRunner.query(`DROP INDEX catalog.idx_seat_availability_map`);
    await queryRunner.query(`CREATE INDEX idx_seat_availability_map ON catalog.seat_availability (event_id, section, row, number)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX catalog.idx_seat_availability_map`);
    await queryRunner.query(`CREATE INDEX idx_seat_availability_map ON catalog.seat_availability (event_id, row, number)`);
    await queryRunner.query(`UPDATE catalog.seat_availability SET status = 'AVAILABLE' WHERE status = 'HELD'`);
    await queryRunner.query(`ALTER TABLE catalog.seat_availability DROP COLUMN hold_id, DROP COLUMN section`);
    // Fails while two seats share a row and number in different sections: those venues need sections.
    await queryRunner.query(`DROP INDEX catalog.idx_unique_seat_position`);
    await queryRunner.query(`CREATE UNIQUE INDEX idx_unique_seat_position ON catalog.seats (venue_id, row, number)`);
    await queryRunner.query(`ALTER TABLE catalog.seats DROP COLUMN layout_order, DROP COLUMN rank, DROP COLUMN section`);
    // PostgreSQL cannot drop an enum value; HELD stays, unused.
  }
}
