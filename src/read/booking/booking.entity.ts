import { Column, Entity, Index, JoinColumn, ManyToOne, OneToMany, PrimaryColumn, type Relation, Unique } from 'typeorm';
import { BOOKING_STATUSES, type BookingStatus } from '../../write/booking/booking.decider.js';

/**
 * The booking read models: data-model.md §2.2 in the `booking` schema. They mirror
 * migrations/1764036100000-ReadModelTables.ts column for column; projectors write them, the query
 * API only reads them. Money is DECIMAL(10,2), read as a string, never a float.
 */


@Entity({ schema: 'booking', name: 'bookings' })
@Unique('bookings_ticket_reference_key', ['ticketReference'])
@Index('idx_booking_user_id', ['userId'])
@Index('idx_booking_event_id', ['eventId'])
@Index('idx_booking_status', ['status'])
@Index('idx_booking_pending_expires', ['expiresAt'], { where: `status = 'PENDING'` })
export class BookingRow {
  @PrimaryColumn({ name: 'id', type: 'uuid', default: () => 'gen_random_uuid()' })
  id!: string;

  /** The Auth0 subject of the user who booked. */
  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId!: string;

  /** References catalog.events across services: no foreign key. */
  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'status', type: 'enum', enum: BOOKING_STATUSES, enumName: 'booking_status', nullable: true, default: 'PENDING' })
  status!: BookingStatus | null;

  @Column({ name: 'total_amount', type: 'decimal', precision: 10, scale: 2 })
  totalAmount!: string;

  @Column({ name: 'currency', type: 'varchar', length: 3, nullable: true, default: 'USD' })
  currency!: string | null;

  @Column({ name: 'ticket_reference', type: 'varchar', length: 255, nullable: true })
  ticketReference!: string | null;

  @Column({ name: 'created_at', type: 'timestamp', nullable: true, default: () => 'now()' })
  createdAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamp', nullable: true, default: () => 'now()' })
  updatedAt!: Date | null;

  @Column({ name: 'expires_at', type: 'timestamp' })
  expiresAt!: Date;

  /** Not eager: a list of bookings asks for its items when it shows them. */
  @OneToMany(() => BookingItemRow, (item) => item.booking, { eager: false })
  items!: BookingItemRow[];
}

@Entity({ schema: 'booking', name: 'booking_items' })
@Index('idx_unique_seat_booking', ['seatId', 'bookingId'], { unique: true })
export class BookingItemRow {
  @PrimaryColumn({ name: 'id', type: 'uuid', default: () => 'gen_random_uuid()' })
  id!: string;

  @Column({ name: 'booking_id', type: 'uuid' })
  bookingId!: string;

  /** References catalog.seats across services: no foreign key. */
  @Column({ name: 'seat_id', type: 'uuid' })
  seatId!: string;

  @Column({ name: 'price', type: 'decimal', precision: 10, scale: 2 })
  price!: string;

  @Column({ name: 'created_at', type: 'timestamp', nullable: true, default: () => 'now()' })
  createdAt!: Date | null;

  // Relation<>: the decorator metadata must not name BookingRow itself (ES modules, see TypeORM's Relation).
  @ManyToOne(() => BookingRow, (booking) => booking.items, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'booking_id' })
  booking?: Relation<BookingRow>;
}

/** Events a projector has applied, keyed per projector (see the migration's deviation b). */
@Entity({ schema: 'booking', name: 'processed_events' })
@Index('idx_processed_events_timestamp', ['processedAt'])
export class ProcessedEventRow {
  @PrimaryColumn({ name: 'projector', type: 'varchar', length: 100 })
  projector!: string;

  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 100 })
  eventType!: string;

  @Column({ name: 'processed_at', type: 'timestamp', nullable: true, default: () => 'now()' })
  processedAt!: Date | null;
}
