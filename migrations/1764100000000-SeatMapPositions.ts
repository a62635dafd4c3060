import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The live seat map (GET /events/:eventId/seat-map/stream) sends a client the seats that changed
 * after the position it has seen: each seat row holds the position of the event that last changed
 * it, set by the catalog projector from that event, so a rebuild gives it the same value.
 * Rows projected before this migration hold '' (before every position) until a replay of the
 * catalog projection (`eventix replay --projection catalog`) gives them theirs; `eventix verify`
 * reports them until then.
 */
export class SeatMapPositions1764100000000 implements MigrationInterface {
  name = 'SeatMapPositions1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // COLLATE "C": positions compare character by character (a locale's collation would ignore the ':'),
    // so that comparisons and this index agree with the positions' own order.
    await queryRunner.query(`ALTER TABLE catalog.seat_availability ADD COLUMN position TEXT COLLATE "C" NOT NULL DEFAULT ''`);
    // "What changed in this event's seat map after position P": one index range scan.
    await queryRunner.query(`CREATE INDEX idx_seat_availability_changes ON catalog.seat_availability (event_id, position)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS catalog.idx_seat_availability_changes`);
    await queryRunner.query(`ALTER TABLE catalog.seat_availability DROP COLUMN IF EXISTS position`);
  }
}
