import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The tables of data-model.md §2, each documented database being a schema of this one, plus the
 * read models the queries and the projectors need (the seat map, checkpoints, parked events).
 *
 * Types, defaults and NOT NULLs are §2's. Where §2's Constraints column says nothing more than "FK",
 * §6's migration (booking_items.booking_id NOT NULL) is the more specific text and is followed.
 * TIMESTAMP stays without time zone, as documented: projectors write UTC times from the events.
 * The optional triggers of §4.2 are left out on purpose: projectors set updated_at from the time
 * the event occurred (a trigger would stamp the time of the replay), and a total-vs-items check
 * would reject the booking row that a projector inserts before its items.
 */
export class ReadModelTables1764036100000 implements MigrationInterface {
  name = 'ReadModelTables1764036100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of up) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of down) await queryRunner.query(statement);
  }
}

const catalog = [
  `CREATE TYPE catalog.seat_type AS ENUM ('VIP', 'REGULAR', 'ECONOMY')`,
  `CREATE TYPE catalog.event_status AS ENUM ('DRAFT', 'PUBLISHED', 'CANCELLED', 'COMPLETED')`,
  `CREATE TABLE catalog.venues (
     id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
     name       VARCHAR(255) NOT NULL,
     location   VARCHAR(500),
     capacity   INTEGER,
     created_at TIMESTAMP DEFAULT NOW(),
     updated_at TIMESTAMP DEFAULT NOW()
   )`,
  `CREATE TABLE catalog.seats (
     id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
     venue_id   UUID REFERENCES catalog.venues (id) ON DELETE CASCADE,
     row        VARCHAR(10) NOT NULL,
     number     INTEGER NOT NULL,
     type       catalog.seat_type NOT NULL,
     created_at TIMESTAMP DEFAULT NOW()
   )`,
  `CREATE UNIQUE INDEX idx_unique_seat_position ON catalog.seats (venue_id, row, number)`,
  `CREATE TABLE catalog.events (
     id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
     venue_id    UUID REFERENCES catalog.venues (id),
     name        VARCHAR(255) NOT NULL,
     description TEXT,
     start_time  TIMESTAMP NOT NULL,
     end_time    TIMESTAMP NOT NULL,
     status      catalog.event_status DEFAULT 'DRAFT',
     created_at  TIMESTAMP DEFAULT NOW(),
     updated_at  TIMESTAMP DEFAULT NOW()
   )`,
  `CREATE TABLE catalog.event_seat_prices (
     event_id  UUID REFERENCES catalog.events (id) ON DELETE CASCADE,
     seat_type catalog.seat_type,
     price     DECIMAL(10, 2) NOT NULL,
     PRIMARY KEY (event_id, seat_type)
   )`,
];

const booking = [
  `CREATE TYPE booking.booking_status AS ENUM ('PENDING', 'CONFIRMED', 'CANCELLED')`,
  `CREATE TABLE booking.bookings (
     id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
     user_id          VARCHAR(255) NOT NULL,
     event_id         UUID NOT NULL,
     status           booking.booking_status DEFAULT 'PENDING',
     total_amount     DECIMAL(10, 2) NOT NULL,
     currency         VARCHAR(3) DEFAULT 'USD',
     ticket_reference VARCHAR(255) UNIQUE,
     created_at       TIMESTAMP DEFAULT NOW(),
     updated_at       TIMESTAMP DEFAULT NOW(),
     expires_at       TIMESTAMP NOT NULL
   )`,
  `CREATE INDEX idx_booking_user_id ON booking.bookings (user_id)`,
  `CREATE INDEX idx_booking_event_id ON booking.bookings (event_id)`,
  `CREATE INDEX idx_booking_status ON booking.bookings (status)`,
  `CREATE INDEX idx_booking_pending_expires ON booking.bookings (expires_at) WHERE status = 'PENDING'`,
  `CREATE TABLE booking.booking_items (
     id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
     booking_id UUID NOT NULL REFERENCES booking.bookings (id) ON DELETE CASCADE,
     seat_id    UUID NOT NULL,
     price      DECIMAL(10, 2) NOT NULL,
     created_at TIMESTAMP DEFAULT NOW()
   )`,
  // Deviation (a): data-model.md offers two versions of this uniqueness. idx_active_seat_booking,
  // a UNIQUE index whose WHERE holds an EXISTS subquery, is not valid PostgreSQL ("cannot use
  // subquery in index predicate"), so the "recommended" alternative is the one created. The invariant
  // "one seat, one active booking" is enforced on the write side, by the seat-inventory stream's
  // expected revision in the event store; a read model only ever reflects it, never guards it.
  `CREATE UNIQUE INDEX idx_unique_seat_booking ON booking.booking_items (seat_id, booking_id)`,
  // Deviation (b): several projectors mark the events they applied here, so the key is
  // (projector, event_id). Keyed on event_id alone, as documented, the second projector to see an
  // event would find it marked by the first and skip it: its read model would silently miss it.
  `CREATE TABLE booking.processed_events (
     projector    VARCHAR(100) NOT NULL,
     event_id     UUID NOT NULL,
     event_type   VARCHAR(100) NOT NULL,
     processed_at TIMESTAMP DEFAULT NOW(),
     PRIMARY KEY (projector, event_id)
   )`,
  `CREATE INDEX idx_processed_events_timestamp ON booking.processed_events (processed_at)`,
];

const payment = [
  `CREATE TYPE payment.payment_status AS ENUM ('PENDING', 'PROCESSING', 'SUCCESS', 'FAILED')`,
  // booking_id is "UNIQUE, NOT NULL" and has the unique index idx_payment_booking: the index is the
  // one uniqueness on it, rather than also a UNIQUE constraint that would build a second, identical index.
  `CREATE TABLE payment.payments (
     id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
     booking_id     UUID NOT NULL,
     amount         DECIMAL(10, 2) NOT NULL,
     currency       VARCHAR(3) DEFAULT 'USD',
     status         payment.payment_status DEFAULT 'PENDING',
     provider       VARCHAR(50),
     external_id    VARCHAR(255),
     failure_reason TEXT,
     created_at     TIMESTAMP DEFAULT NOW(),
     updated_at     TIMESTAMP DEFAULT NOW()
   )`,
  `CREATE UNIQUE INDEX idx_payment_booking ON payment.payments (booking_id)`,
];

/** Read models that data-model.md does not list but its queries and the projectors need. */
const extra = [
  // The seat map of each event (data-model.md §5.1 "Check seat availability", without its joins
  // across three services' tables). No FK to events: a projector may write it in any order.
  `CREATE TYPE catalog.seat_status AS ENUM ('AVAILABLE', 'RESERVED', 'SOLD')`,
  `CREATE TABLE catalog.seat_availability (
     event_id   UUID NOT NULL,
     seat_id    UUID NOT NULL,
     venue_id   UUID NOT NULL,
     row        VARCHAR(10) NOT NULL,
     number     INTEGER NOT NULL,
     type       catalog.seat_type NOT NULL,
     status     catalog.seat_status NOT NULL DEFAULT 'AVAILABLE',
     booking_id UUID NULL,
     updated_at TIMESTAMP NOT NULL DEFAULT NOW(),
     PRIMARY KEY (event_id, seat_id)
   )`,
  // The seat map of a 20,000-seat event is read in row/number order.
  `CREATE INDEX idx_seat_availability_map ON catalog.seat_availability (event_id, row, number)`,
  // A booking's confirmation or cancellation finds its seats by booking; most seats have none.
  `CREATE INDEX idx_seat_availability_booking ON catalog.seat_availability (booking_id) WHERE booking_id IS NOT NULL`,
  // position: an opaque, text-comparable event-store position; '' is the start of the log.
  `CREATE TABLE projections.checkpoints (
     projector  VARCHAR(100) PRIMARY KEY,
     position   TEXT NOT NULL DEFAULT '',
     updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
   )`,
  // Events a projector could not apply: it parks them and goes on, rather than stopping.
  `CREATE TABLE projections.parked_events (
     projector   VARCHAR(100) NOT NULL,
     event_id    UUID NOT NULL,
     position    TEXT NOT NULL,
     stream_name TEXT NOT NULL,
     event_type  VARCHAR(100) NOT NULL,
     error       TEXT NOT NULL,
     parked_at   TIMESTAMPTZ NOT NULL DEFAULT NOW(),
     PRIMARY KEY (projector, event_id)
   )`,
];

const up = [...catalog, ...booking, ...payment, ...extra];

/** Everything up() created, in reverse order (indexes, keys and constraints go with their tables). */
const down = [
  `DROP TABLE projections.parked_events`,
  `DROP TABLE projections.checkpoints`,
  `DROP TABLE catalog.seat_availability`,
  `DROP TYPE catalog.seat_status`,
  `DROP TABLE payment.payments`,
  `DROP TYPE payment.payment_status`,
  `DROP TABLE booking.processed_events`,
  `DROP TABLE booking.booking_items`,
  `DROP TABLE booking.bookings`,
  `DROP TYPE booking.booking_status`,
  `DROP TABLE catalog.event_seat_prices`,
  `DROP TABLE catalog.events`,
  `DROP TABLE catalog.seats`,
  `DROP TABLE catalog.venues`,
  `DROP TYPE catalog.event_status`,
  `DROP TYPE catalog.seat_type`,
];
