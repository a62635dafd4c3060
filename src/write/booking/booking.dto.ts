import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsUUID } from 'class-validator';

/** The hard ceiling of the DTO; MAX_SEATS_PER_BOOKING (default 10) is checked by the controller. */
export const SEATS_PER_BOOKING_CEILING = 100;

export class PlaceBookingBody {
  @ApiProperty({ format: 'uuid' }) @IsUUID()
  eventId!: string;

  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: SEATS_PER_BOOKING_CEILING })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SEATS_PER_BOOKING_CEILING)
  @ArrayUnique({ message: 'seatIds must not name a seat twice' })
  @IsUUID('all', { each: true })
  seatIds!: string[];
}

export class BookingIdParam {
  @IsUUID() id!: string;
}
