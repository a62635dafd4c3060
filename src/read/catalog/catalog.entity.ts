import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The catalog read models: data-model.md §2.1 in the `catalog` schema, and the seat map of each
 * event. They mirror migrations/1764036100000-ReadModelTables.ts column for column; projectors
 * write them, the query API only reads them. Money is DECIMAL(10,2), read as a string, never a float.
 */

export const SEAT_TYPES = ['VIP', 'REGULAR', 'ECONOMY'] as const;
export type SeatType = (typeof SEAT_TYPES)[number];
export const EVENT_STATUSES = ['DRAFT', 'PUBLISHED', 'CANCELLED', 'COMPLETED'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];
/** HELD: kept back by the organiser (#19, a value the migrations added later). */
export const SEAT_STATUSES = ['AVAILABLE', 'RESERVED', 'SOLD', 'HELD'] as const;
export type SeatStatus = (typeof SEAT_STATUSES)[number];

@Entity({ schema: 'catalog', name: 'venues' })
export class VenueRow {
  @PrimaryColumn({ name: 'id', type: 'uuid', default: () => 'gen_random_uuid()' })
  id!: string;

  @Column({ name: 'name', type: 'varchar', length: 255 })
  name!: string;

  @Column({ name: 'location', type: 'varchar', length: 500, nullable: true })
  location!: string | null;

  @Column({ name: 'capacity', type: 'integer', nullable: true })
  capacity!: number | null;

  @Column({ name: 'created_at', type: 'timestamp', nullable: true, default: () => 'now()' })
  createdAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamp', nullable: true, default: () => 'now()' })
  updatedAt!: Date | null;
}

@Entity({ schema: 'catalog', name: 'seats' })
@Index('idx_unique_seat_position', ['venueId', 'row', 'number'], { unique: true })
export class SeatRow {
  @PrimaryColumn({ name: 'id', type: 'uuid', default: () => 'gen_random_uuid()' })
  id!: string;

  /** References catalog.venues (ON DELETE CASCADE); nullable as documented. */
  @Column({ name: 'venue_id', type: 'uuid', nullable: true })
  venueId!: string | null;

  @Column({ name: 'row', type: 'varchar', length: 10 })
  row!: string;

  @Column({ name: 'number', type: 'integer' })
  number!: number;

  @Column({ name: 'type', type: 'enum', enum: SEAT_TYPES, enumName: 'seat_type' })
  type!: SeatType;

  @Column({ name: 'created_at', type: 'timestamp', nullable: true, default: () => 'now()' })
  createdAt!: Date | null;
}

@Entity({ schema: 'catalog', name: 'events' })
export class EventRow {
  @PrimaryColumn({ name: 'id', type: 'uuid', default: () => 'gen_random_uuid()' })
  id!: string;

  /** References catalog.venues; nullable as documented. */
  @Column({ name: 'venue_id', type: 'uuid', nullable: true })
  venueId!: string | null;

  @Column({ name: 'name', type: 'varchar', length: 255 })
  name!: string;

  @Column({ name: 'description', type: 'text', nullable: true })
  description!: string | null;

  @Column({ name: 'start_time', type: 'timestamp' })
  startTime!: Date;

  @Column({ name: 'end_time', type: 'timestamp' })
  endTime!: Date;

  @Column({ name: 'status', type: 'enum', enum: EVENT_STATUSES, enumName: 'event_status', nullable: true, default: 'DRAFT' })
  status!: EventStatus | null;

  @Column({ name: 'created_at', type: 'timestamp', nullable: true, default: () => 'now()' })
  createdAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamp', nullable: true, default: () => 'now()' })
  updatedAt!: Date | null;
}

@Entity({ schema: 'catalog', name: 'event_seat_prices' })
export class EventSeatPriceRow {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @PrimaryColumn({ name: 'seat_type', type: 'enum', enum: SEAT_TYPES, enumName: 'seat_type' })
  seatType!: SeatType;

  @Column({ name: 'price', type: 'decimal', precision: 10, scale: 2 })
  price!: string;
}

/** One row per seat of the event's venue: the seat map, in row/number order by its index. */
@Entity({ schema: 'catalog', name: 'seat_availability' })
@Index('idx_seat_availability_map', ['eventId', 'row', 'number'])
@Index('idx_seat_availability_booking', ['bookingId'], { where: 'booking_id IS NOT NULL' })
export class SeatAvailabilityRow {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @PrimaryColumn({ name: 'seat_id', type: 'uuid' })
  seatId!: string;

  @Column({ name: 'venue_id', type: 'uuid' })
  venueId!: string;

  @Column({ name: 'row', type: 'varchar', length: 10 })
  row!: string;

  @Column({ name: 'number', type: 'integer' })
  number!: number;

  @Column({ name: 'type', type: 'enum', enum: SEAT_TYPES, enumName: 'seat_type' })
  type!: SeatType;

  @Column({ name: 'status', type: 'enum', enum: SEAT_STATUSES, enumName: 'seat_status', default: 'AVAILABLE' })
  status!: SeatStatus;

  /** The booking that holds (RESERVED) or bought (SOLD) the seat; null when AVAILABLE. */
  @Column({ name: 'booking_id', type: 'uuid', nullable: true })
  bookingId!: string | null;

  @Column({ name: 'updated_at', type: 'timestamp', default: () => 'now()' })
  updatedAt!: Date;
}
