import { ApiProperty } from '@nestjs/swagger';
import { CommandAnswer } from '../../openapi/common.js';

export class CheckedInAnswer extends CommandAnswer {
  @ApiProperty({ enum: ['ADMITTED'] }) result!: 'ADMITTED';
  @ApiProperty({ format: 'uuid' }) ticketId!: string;
  @ApiProperty({ format: 'uuid' }) seatId!: string;
  @ApiProperty({ format: 'uuid' }) bookingId!: string;
  @ApiProperty({ example: 'North 3' }) gate!: string;
  @ApiProperty({ format: 'date-time', description: 'The time of the scan that admitted it' }) scannedAt!: string;
}
