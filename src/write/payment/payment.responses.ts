import { ApiProperty } from '@nestjs/swagger';
import { CommandAnswer } from '../../openapi/common.js';

export const PAYMENT_ATTEMPT_STATUSES = ['PENDING', 'PROCESSING', 'SUCCESS', 'FAILED'] as const;

export class PaymentRequested extends CommandAnswer {
  @ApiProperty({ format: 'uuid' }) paymentId!: string;
  @ApiProperty({
    enum: PAYMENT_ATTEMPT_STATUSES,
    description: 'PROCESSING: the provider took the charge and its outcome comes by webhook; GET /bookings/{id} shows the booking CONFIRMED once it succeeded',
  })
  status!: (typeof PAYMENT_ATTEMPT_STATUSES)[number];
}

export class OutcomeReceived {
  @ApiProperty({ enum: [true] }) received!: true;
}
