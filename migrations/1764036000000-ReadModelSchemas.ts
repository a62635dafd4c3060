import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The three databases of data-model.md become three schemas of one database, plus one for the
 * projections' own bookkeeping. The tables come with the read-model migrations that follow.
 */
export class ReadModelSchemas1764036000000 implements MigrationInterface {
  name = 'ReadModelSchemas1764036000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const schema of ['catalog', 'booking', 'payment', 'projections']) {
      await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const schema of ['projections', 'payment', 'booking', 'catalog']) {
      await queryRunner.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  }
}
