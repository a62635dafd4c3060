import { ApiProperty } from '@nestjs/swagger';
import { CommandAnswer } from '../../openapi/common.js';
import { SEAT_TYPES, type SeatType } from './venue.events.js';

export class VenueCreated extends CommandAnswer {
  @ApiProperty({ format: 'uuid' }) id!: string;
}

export class AddedSeat {
  @ApiProperty({ format: 'uuid', description: 'What bookings name the seat by' }) seatId!: string;
  @ApiProperty({ example: 'Block 104' }) section!: string;
  @ApiProperty({ example: 'A' }) row!: string;
  @ApiProperty({ type: 'integer', example: 12 }) number!: number;
  @ApiProperty({ enum: SEAT_TYPES, enumName: 'SeatType' }) type!: SeatType;
  @ApiProperty({ type: 'integer', nullable: true, description: "The rank given; null: the layout's (the seat map gives it)" }) rank!: number | null;
}

export class SeatsAdded extends CommandAnswer {
  @ApiProperty({ type: 'integer', example: 2 }) count!: number;
  @ApiProperty({ type: AddedSeat, isArray: true, description: 'The new seats, in the order of the request' }) seats!: AddedSeat[];
}

export class EventCreated extends CommandAnswer {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['DRAFT'] }) status!: 'DRAFT';
}

export class EventPublished extends CommandAnswer {
  @ApiProperty({ enum: ['PUBLISHED'] }) status!: 'PUBLISHED';
}

export class EventCancelled extends CommandAnswer {
  @ApiProperty({ enum: ['CANCELLED'] }) status!: 'CANCELLED';
}

export class HoldPlaced extends CommandAnswer {
  @ApiProperty({ format: 'uuid', description: 'Release the hold with it' }) holdId!: string;
}
