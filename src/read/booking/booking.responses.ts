import { ApiProperty } from '@nestjs/swagger';
import { AMOUNT, PageAnswer } from '../../openapi/common.js';
import { BOOKING_STATUSES, type BookingStatus } from '../../write/booking/booking.decider.js';
import { PricedSeat } from '../../write/booking/booking.responses.js';
import { CANCELLATION_REASONS, type CancellationReason } from '../../write/booking/booking.events.js';
import { PAYMENT_ATTEMPT_STATUSES, type PaymentStatus as AttemptStatus } from '../../write/payment/payment.decider.js';
import { PAYMENT_STATUSES, type PaymentStatus } from '../payment/payment.entity.js';

export class PaymentOfBooking {
  @ApiProperty({ format: 'uuid' }) paymentId!: string;
  @ApiProperty({ enum: PAYMENT_STATUSES, enumName: 'PaymentStatus' }) status!: PaymentStatus;
  @ApiProperty({ ...AMOUNT, description: "What it charges (and a refund gives back): the booking's total, in the booking's currency" }) amount!: string;
  @ApiProperty({ type: 'string', nullable: true, description: "The provider's reason, when FAILED" }) failureReason!: string | null;
}

export class Booking {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ enum: BOOKING_STATUSES, enumName: 'BookingStatus' }) status!: BookingStatus;
  @ApiProperty(AMOUNT) totalAmount!: string;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ type: 'string', nullable: true, description: 'Set once the booking is CONFIRMED' }) ticketReference!: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, description: 'Until when the seats are held, while PENDING' }) expiresAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: PricedSeat, isArray: true }) items!: PricedSeat[];
  @ApiProperty({ type: PaymentOfBooking, nullable: true, description: 'null until a payment is requested' }) payment!: PaymentOfBooking | null;
}

export class BookingPage extends PageAnswer {
  @ApiProperty({ type: Booking, isArray: true, description: 'Newest first' }) items!: Booking[];
}

class PaymentState {
  @ApiProperty({ enum: PAYMENT_ATTEMPT_STATUSES }) status!: AttemptStatus;
  @ApiProperty({ type: 'integer' }) attempt!: number;
  @ApiProperty() refunded!: boolean;
  @ApiProperty() refundPending!: boolean;
  @ApiProperty({ type: 'string', nullable: true }) failureReason!: string | null;
}

class ScanAt {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() gate!: string;
}

class Admission {
  @ApiProperty({ format: 'uuid' }) ticketId!: string;
  @ApiProperty({ format: 'uuid' }) seatId!: string;
  @ApiProperty({ type: ScanAt, nullable: true, description: 'The scan that admitted the ticket' }) admitted!: ScanAt | null;
  @ApiProperty({ type: 'integer', description: 'Scans of it refused as duplicates' }) duplicates!: number;
}

class BookingState {
  @ApiProperty({ enum: BOOKING_STATUSES, enumName: 'BookingStatus' }) status!: BookingStatus;
  @ApiProperty() userId!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty(AMOUNT) totalAmount!: string;
  @ApiProperty() currency!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: PricedSeat, isArray: true }) seats!: PricedSeat[];
  @ApiProperty({ type: 'string', nullable: true }) ticketReference!: string | null;
  @ApiProperty({ type: 'string', nullable: true, enum: CANCELLATION_REASONS, description: 'Why it was cancelled' })
  cancellation!: CancellationReason | null;
  @ApiProperty({ type: Admission, isArray: true, description: 'Its tickets scanned at the door so far' }) admissions!: Admission[];
  @ApiProperty({ type: PaymentState, nullable: true }) payment!: PaymentState | null;
}

const ANY_OBJECT = { type: 'object', additionalProperties: true } as const;

export class HistoryEntry {
  @ApiProperty({ example: 'BookingPlaced', description: 'The event type (docs/audit-log.md lists them)' }) type!: string;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ example: 'booking-…' }) stream!: string;
  @ApiProperty({ type: 'integer' }) revision!: number;
  @ApiProperty() position!: string;
  @ApiProperty({ type: 'integer' }) schemaVersion!: number;
  @ApiProperty({ ...ANY_OBJECT, description: "The event's data, as stored" }) data!: Record<string, unknown>;
  @ApiProperty({ ...ANY_OBJECT, description: 'Who and what caused it: userId, correlationId, causationId, occurredAt, …' }) metadata!: Record<string, unknown>;
  @ApiProperty({ type: BookingState, nullable: true, description: 'The booking after this event, as `eventix state` tells it' }) stateAfter!: BookingState | null;
}
