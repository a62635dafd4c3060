import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A projector's checkpoint moved by compare-and-set, failing (SQLSTATE 40001) when another runner
 * moved it first. A function rather than an UPDATE whose row count the caller checks: a batch goes
 * to the server as one round trip (BEGIN … COMMIT), and only an error can stop its COMMIT.
 */
export class MoveCheckpoint1764800000000 implements MigrationInterface {
  name = 'MoveCheckpoint1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION projections.move_checkpoint(p_projector text, p_from text, p_to text) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE projections.checkpoints SET position = p_to, updated_at = now() WHERE projector = p_projector AND position = p_from;
        IF NOT FOUND THEN
          RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = format('The checkpoint of %s moved under us', p_projector);
        END IF;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION IF EXISTS projections.move_checkpoint(text, text, text)`);
  }
}
