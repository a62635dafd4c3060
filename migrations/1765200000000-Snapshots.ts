import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Snapshots of decider states whose streams grow long, a hot event's seat inventory above all
 * (#17): an instance that starts, or lost its cache, begins at the latest snapshot and reads only
 * the events after it. Beside the log in the service's database, in a schema of its own: the
 * `eventstore` schema exists only with the PostgreSQL adapter, and EventStoreDB's streams need
 * snapshots as much.
 *
 * A row is a cache, never a source of truth: it names the revision it was taken at and the chain
 * hash of the event there (log-hash.ts), and StreamCache ignores it when the log holds another
 * history (a log restored from an older backup). `schema_version` is the decider's snapshot
 * version: a row of another version is ignored, and replaced by the next snapshot taken.
 */
export class Snapshots1765200000000 implements MigrationInterface {
  name = 'Snapshots1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS snapshots`);
    await queryRunner.query(`
      CREATE TABLE snapshots.snapshots (
        stream_name    TEXT PRIMARY KEY,
        schema_version INT NOT NULL,
        revision       BIGINT NOT NULL,
        last_hash      TEXT NOT NULL,
        state          JSONB NOT NULL,
        taken_at       TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP SCHEMA IF EXISTS snapshots CASCADE`);
  }
}
