import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { SEAT_TYPES, type SeatType } from './venue.events.js';
import { IsAmount, MaxCharacters, NoControlCharacters } from '../../validation.js';
import { MAX_SEAT_RANK, MAX_SECTION_CHARACTERS } from './venue-layout.js';

/**
 * Request bodies of the catalog commands; limits follow data-model.md's column sizes. Lists of
 * objects say @IsObject({ each: true }): @ValidateNested alone walks an item that is itself a list
 * and finds nothing wrong in `[[]]`.
 */
export class CreateVenueBody {
  @ApiProperty({ example: 'Royal Albert Hall' }) @IsString() @IsNotEmpty() @MaxCharacters(255)
  name!: string;

  @ApiProperty({ example: 'Kensington Gore, London' }) @IsOptional() @IsString() @MaxCharacters(500)
  location?: string;

  @ApiProperty({ description: 'How many people the venue holds', example: 5272 }) @IsOptional() @IsInt() @Min(1) @Max(200_000)
  capacity?: number;
}

export class SeatBody {
  @ApiProperty({ example: 'Block 104', description: 'Absent or "": the venue has no sections. A position (section, row, number) holds one seat' })
  @IsOptional() @IsString() @MaxCharacters(MAX_SECTION_CHARACTERS) @NoControlCharacters()
  section?: string;

  @ApiProperty({ example: 'A' }) @IsString() @Matches(/^[A-Za-z0-9-]{1,10}$/, { message: 'row must be 1 to 10 letters, digits or dashes' })
  row!: string;

  @ApiProperty({ example: 12 }) @IsInt() @Min(1) @Max(100_000)
  number!: number;

  @IsIn(SEAT_TYPES)
  type!: SeatType;

  @ApiProperty({ example: 0, description: "Lower is better, for best available. Absent: from the layout (rows in the order they were created, then the middle of the row first)" })
  @IsOptional() @IsInt() @Min(0) @Max(MAX_SEAT_RANK)
  rank?: number;
}

export class AddSeatsBody {
  @ApiProperty({ description: 'Up to 1,000 seats a request (the body limit is 64 KB); add more in several requests' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(1_000) @IsObject({ each: true }) @ValidateNested({ each: true }) @Type(() => SeatBody)
  seats!: SeatBody[];
}

export class PriceBody {
  @IsIn(SEAT_TYPES)
  seatType!: SeatType;

  /**
   * A decimal amount ("45.00" or 45), never read as a float. Here at most 2 decimals, as any currency
   * has; the show decider then holds it to the event's currency's ("1500.5" is no amount of yen).
   */
  @IsAmount()
  price!: string | number;
}

export class PricesBody {
  @ApiProperty({ description: 'The price of each seat type, each type at most once' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(SEAT_TYPES.length) @IsObject({ each: true }) @ValidateNested({ each: true }) @Type(() => PriceBody)
  // Two prices for one seat type: the decider would keep the later one, and the catalog projector's
  // upsert fails on the pair ("ON CONFLICT DO UPDATE cannot affect row a second time") and stops.
  @ArrayUnique((price: PriceBody) => price.seatType, { message: 'prices must name each seat type at most once' })
  prices!: PriceBody[];
}

export class CreateEventBody extends PricesBody {
  @IsUUID()
  venueId!: string;

  @ApiProperty({ example: 'The Magic Flute' }) @IsString() @IsNotEmpty() @MaxCharacters(255)
  name!: string;

  @IsOptional() @IsString() @MaxCharacters(10_000)
  description?: string;

  @ApiProperty({ example: '2030-06-01T19:00:00Z' }) @IsISO8601({ strict: true })
  startTime!: string;

  @ApiProperty({ example: '2030-06-01T22:30:00Z', description: 'After startTime' }) @IsISO8601({ strict: true })
  endTime!: string;

  @ApiProperty({
    example: 'JPY',
    // Not `default`: generated clients (openapi-typescript) would then make it required.
    description:
      "ISO 4217, in capitals (absent: USD): the event's prices, and its bookings' totals, payments and refunds, are in it, with its decimals (JPY none, USD and EUR 2). " +
      'Currencies with 3 decimals (KWD, BHD, …) are not supported yet; units that are not money (XAU, XDR, XTS, …) are refused',
  })
  @IsOptional() @IsString() @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code in capitals, such as USD, EUR or JPY' })
  currency?: string;
}

export class EventIdParam {
  @IsUUID() eventId!: string;
}

export class VenueIdParam {
  @IsUUID() venueId!: string;
}

export class HoldSeatsBody {
  @ApiProperty({ description: "The seats to keep back from sale, from the event's seat map" })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(1_000) @ArrayUnique({ message: 'seatIds must not name a seat twice' }) @IsUUID('all', { each: true })
  seatIds!: string[];

  @ApiProperty({ example: 'Press and sponsors', description: 'Why, for the box office and the audit' })
  @IsString() @IsNotEmpty() @MaxCharacters(255)
  reason!: string;
}

export class HoldIdParam extends EventIdParam {
  @IsUUID() holdId!: string;
}
