import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An event's currency (#21), an extension of data-model.md, whose `events` table has none: only
 * `bookings` and `payments` name theirs. The catalog needs it because its prices are DECIMAL(10,2)
 * amounts that mean nothing without it (1500.00 is ¥1500 or $1,500.00), and the API shows them with
 * the currency's decimals ("1500" for JPY). Every event before this was priced in USD, hence the
 * default, which fills the existing rows; the catalog projector writes each new event's own.
 */
export class EventCurrencies1765700000000 implements MigrationInterface {
  name = 'EventCurrencies1765700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE catalog.events ADD COLUMN currency VARCHAR(3) NOT NULL DEFAULT 'USD'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE catalog.events DROP COLUMN IF EXISTS currency`);
  }
}
