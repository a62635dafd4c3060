import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsUUID } from 'class-validator';

/** The hard ceiling of the DTO; MAX_SEATS_PER_BOOKING (default 10) is checked by the controller. */
export const SEATS_PER_BOOKING_CEILING = 100;

export class PlaceBookingBody {
  @IsUUID()
  eventId!: string;

  @ApiProperty({ description: 'The seats to hold, from the seat map; at most MAX_SEATS_PER_BOOKING (10 unless configured)' })
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
