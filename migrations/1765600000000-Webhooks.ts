import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbound webhooks (#21), beyond data-model.md. The subscriptions themselves are events (stream
 * `webhooks-registry`); what is here is the delivery's own record, which the log cannot rebuild
 * (what an endpoint answered, and when), so a schema of its own that replays never touch:
 *
 * - `webhooks.deliveries`: every attempt to deliver an event to a subscription, and its outcome,
 *   for `GET /webhooks/:id/deliveries`. Kept 30 days.
 * - `webhooks.status`: per subscription, since when it has been failing to deliver the event it is
 *   on (`retrying_since`), and since when that has lasted long enough to mark it failing.
 * - `webhooks.replays`: the replay requests (WebhookReplayRequested) already applied to a
 *   subscription's checkpoint: each instance sees the request, one applies it.
 *
 * A subscription's checkpoint is a row of `projections.checkpoints`, `webhook:<id>`.
 */
export class Webhooks1765600000000 implements MigrationInterface {
  name = 'Webhooks1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS webhooks`);
    await queryRunner.query(`CREATE TYPE webhooks.delivery_outcome AS ENUM ('DELIVERED', 'FAILED')`);
    await queryRunner.query(`
      CREATE TABLE webhooks.deliveries (
        id           BIGSERIAL PRIMARY KEY,
        webhook_id   UUID NOT NULL,
        event_id     UUID NOT NULL,
        event_type   VARCHAR(50) NOT NULL,
        subject      VARCHAR(100) NOT NULL,
        position     TEXT NOT NULL,
        attempt      INTEGER NOT NULL,
        attempted_at TIMESTAMPTZ NOT NULL,
        outcome      webhooks.delivery_outcome NOT NULL,
        status_code  INTEGER,
        error        TEXT,
        duration_ms  INTEGER NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX idx_webhook_deliveries ON webhooks.deliveries (webhook_id, id DESC)`);
    await queryRunner.query(`CREATE INDEX idx_webhook_deliveries_age ON webhooks.deliveries (attempted_at)`);
    await queryRunner.query(`
      CREATE TABLE webhooks.status (
        webhook_id        UUID PRIMARY KEY,
        retrying_since    TIMESTAMPTZ,
        failing_since     TIMESTAMPTZ,
        last_error        TEXT,
        last_attempt_at   TIMESTAMPTZ,
        last_delivered_at TIMESTAMPTZ
      )`);
    await queryRunner.query(`
      CREATE TABLE webhooks.replays (
        event_id      UUID PRIMARY KEY,
        webhook_id    UUID NOT NULL,
        from_position TEXT NOT NULL,
        applied_at    TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP SCHEMA IF EXISTS webhooks CASCADE`);
  }
}
