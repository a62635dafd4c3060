import { ApiProperty } from '@nestjs/swagger';
import { AMOUNT, CommandAnswer } from '../../openapi/common.js';
import { BOOKING_STATUSES, type BookingStatus } from './booking.decider.js';

export class PricedSeat {
  @ApiProperty({ format: 'uuid' }) seatId!: string;
  @ApiProperty(AMOUNT) price!: string;
}

export class BookingPlaced extends CommandAnswer {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: BOOKING_STATUSES, enumName: 'BookingStatus', description: 'PENDING for a new booking; the first answer again for a repeated Idempotency-Key' })
  status!: BookingStatus;
  @ApiProperty({ format: 'date-time', description: 'The seats are held until then; pay before' }) expiresAt!: string;
  @ApiProperty(AMOUNT) totalAmount!: string;
  @ApiProperty({ example: 'USD', description: 'ISO 4217' }) currency!: string;
  @ApiProperty({ type: PricedSeat, isArray: true }) items!: PricedSeat[];
}

export class BookingCancelled extends CommandAnswer {
  @ApiProperty({ enum: ['CANCELLED'] }) status!: 'CANCELLED';
}
