import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, Min } from 'class-validator';
import { SEAT_TYPES, type SeatType } from '../catalog/venue.events.js';
import { MAX_SECTION_CHARACTERS } from '../catalog/venue-layout.js';
import { MaxCharacters } from '../../validation.js';

/** The hard ceiling of the DTO; MAX_SEATS_PER_BOOKING (default 10) is checked by the controller. */
export const SEATS_PER_BOOKING_CEILING = 100;

/**
 * Either the seats (`seatIds`, picked from the seat map) or best available (`quantity`, with an
 * optional `seatType` and `section`): the controller refuses both, and neither (document.ts says
 * the same as `oneOf`).
 */
export class PlaceBookingBody {
  @IsUUID()
  eventId!: string;

  @ApiProperty({ description: 'The seats to hold, from the seat map; at most MAX_SEATS_PER_BOOKING (10 unless configured)' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SEATS_PER_BOOKING_CEILING)
  @ArrayUnique({ message: 'seatIds must not name a seat twice' })
  @IsUUID('all', { each: true })
  seatIds?: string[];

  @ApiProperty({ example: 2, description: 'Best available: how many adjacent seats the service is to choose; at most MAX_SEATS_PER_BOOKING' })
  @IsOptional() @IsInt() @Min(1) @Max(SEATS_PER_BOOKING_CEILING)
  quantity?: number;

  @ApiProperty({ description: 'Best available: seats of this type only (else any type the event has a price for, all of one type)' })
  @IsOptional() @IsIn(SEAT_TYPES)
  seatType?: SeatType;

  @ApiProperty({ example: 'Block 104', description: 'Best available: seats of this section only ("" is the seats without one)' })
  @IsOptional() @IsString() @MaxCharacters(MAX_SECTION_CHARACTERS)
  section?: string;
}

export class BookingIdParam {
  @IsUUID() id!: string;
}
