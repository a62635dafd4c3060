import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The payment read model: data-model.md §2.3 in the `payment` schema, mirroring
 * migrations/1764036100000-ReadModelTables.ts. Money is DECIMAL(10,2), read as a string, never a float.
 */

/** data-model.md's payment_status, and REFUNDED (a refund the provider accepted; migrations/1765100000000-RefundsAndHolds.ts). */
export const PAYMENT_STATUSES = ['PENDING', 'PROCESSING', 'SUCCESS', 'FAILED', 'REFUNDED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

@Entity({ schema: 'payment', name: 'payments' })
@Index('idx_payment_booking', ['bookingId'], { unique: true })
export class PaymentRow {
  @PrimaryColumn({ name: 'id', type: 'uuid', default: () => 'gen_random_uuid()' })
  id!: string;

  /** One payment per booking (idx_payment_booking); references booking.bookings across services. */
  @Column({ name: 'booking_id', type: 'uuid' })
  bookingId!: string;

  @Column({ name: 'amount', type: 'decimal', precision: 10, scale: 2 })
  amount!: string;

  @Column({ name: 'currency', type: 'varchar', length: 3, nullable: true, default: 'USD' })
  currency!: string | null;

  @Column({ name: 'status', type: 'enum', enum: PAYMENT_STATUSES, enumName: 'payment_status', nullable: true, default: 'PENDING' })
  status!: PaymentStatus | null;

  @Column({ name: 'provider', type: 'varchar', length: 50, nullable: true })
  provider!: string | null;

  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId!: string | null;

  @Column({ name: 'failure_reason', type: 'text', nullable: true })
  failureReason!: string | null;

  @Column({ name: 'created_at', type: 'timestamp', nullable: true, default: () => 'now()' })
  createdAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamp', nullable: true, default: () => 'now()' })
  updatedAt!: Date | null;
}
