import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-user keys for crypto-shredding (#22, docs/privacy.md); not in data-model.md, whose tables
 * hold user ids in the clear.
 *
 * - `user_keys`: per subject (a random UUID that encrypted ids in the log name), the user's AES-256 key
 *   wrapped under PRIVACY_KEY_SECRET, and `lookup`, HMAC-SHA256 of the user id under a key derived
 *   from the same secret, which finds it. An erasure sets both to NULL and keeps the row, so that a
 *   reader can tell an erased subject from a key it never had.
 * - `erasures`: one row whose `generation` every erasure increments. A projector batch that shows user
 *   ids holds the row (`hold_erasures`) with the generation its keys were read at, so an erasure waits
 *   for the batches in flight, and a batch that read its keys before an erasure is refused and retried
 *   (SQLSTATE 40E01, a transaction-rollback class the projectors retry) instead of writing a user id
 *   just erased.
 */
export class Privacy1765800000000 implements MigrationInterface {
  name = 'Privacy1765800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS privacy`);
    await queryRunner.query(`
      CREATE TABLE privacy.user_keys (
        subject_id  UUID PRIMARY KEY,
        lookup      BYTEA UNIQUE,
        wrapped_key BYTEA,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        erased_at   TIMESTAMPTZ,
        CHECK ((erased_at IS NULL) = (wrapped_key IS NOT NULL AND lookup IS NOT NULL))
      )`);
    await queryRunner.query(`CREATE TABLE privacy.erasures (generation BIGINT NOT NULL)`);
    await queryRunner.query(`INSERT INTO privacy.erasures (generation) VALUES (0)`);
    await queryRunner.query(`
      CREATE FUNCTION privacy.hold_erasures(p_generation bigint) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM 1 FROM privacy.erasures WHERE generation = p_generation FOR SHARE;
        IF NOT FOUND THEN
          RAISE EXCEPTION USING ERRCODE = '40E01', MESSAGE = 'a user was erased since this batch read its keys';
        END IF;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP SCHEMA IF EXISTS privacy CASCADE`);
  }
}
