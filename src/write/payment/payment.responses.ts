import { ApiProperty } from '@nestjs/swagger';
import { CommandAnswer } from '../../openapi/common.js';
import { PAYMENT_ATTEMPT_STATUSES, type PaymentStatus } from './payment.decider.js';

export class PaymentRequested extends CommandAnswer {
  @ApiProperty({ format: 'uuid' }) paymentId!: string;
  @ApiProperty({
    enum: PAYMENT_ATTEMPT_STATUSES,
    description: 'PROCESSING: the provider took the charge and its outcome comes by webhook; GET /bookings/{id} shows the booking CONFIRMED once it succeeded',
  })
  status!: PaymentStatus;
}

export class OutcomeReceived {
  @ApiProperty({ enum: [true] }) received!: true;
}
