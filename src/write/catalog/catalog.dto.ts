import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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
import { MaxCharacters } from '../../validation.js';

/**
 * Request bodies of the catalog commands; limits follow data-model.md's column sizes. Lists of
 * objects say @IsObject({ each: true }): @ValidateNested alone walks an item that is itself a list
 * and finds nothing wrong in `[[]]`.
 */
export class CreateVenueBody {
  @ApiProperty({ maxLength: 255 }) @IsString() @IsNotEmpty() @MaxCharacters(255)
  name!: string;

  @ApiPropertyOptional({ maxLength: 500 }) @IsOptional() @IsString() @MaxCharacters(500)
  location?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200_000 }) @IsOptional() @IsInt() @Min(1) @Max(200_000)
  capacity?: number;
}

export class SeatBody {
  @ApiProperty({ maxLength: 10, example: 'A' }) @IsString() @Matches(/^[A-Za-z0-9-]{1,10}$/, { message: 'row must be 1 to 10 letters, digits or dashes' })
  row!: string;

  @ApiProperty({ minimum: 1, example: 12 }) @IsInt() @Min(1) @Max(100_000)
  number!: number;

  @ApiProperty({ enum: SEAT_TYPES }) @IsIn(SEAT_TYPES)
  type!: SeatType;
}

export class AddSeatsBody {
  @ApiProperty({ type: [SeatBody], maxItems: 1_000, description: "up to 1,000 seats a request (the body limit is 64 KB); add more in several requests" })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(1_000) @IsObject({ each: true }) @ValidateNested({ each: true }) @Type(() => SeatBody)
  seats!: SeatBody[];
}

export class PriceBody {
  @ApiProperty({ enum: SEAT_TYPES }) @IsIn(SEAT_TYPES)
  seatType!: SeatType;

  /** A decimal amount ("45.00" or 45); parsed exactly by money.ts, never as a float. */
  @ApiProperty({ oneOf: [{ type: 'string', example: '45.00' }, { type: 'number', example: 45 }] })
  @IsNotEmpty()
  price!: string | number;
}

export class PricesBody {
  @ApiProperty({ type: [PriceBody], description: 'at most one price for each seat type' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(SEAT_TYPES.length) @IsObject({ each: true }) @ValidateNested({ each: true }) @Type(() => PriceBody)
  // Two prices for one seat type: the decider would keep the later one, and the catalog projector's
  // upsert fails on the pair ("ON CONFLICT DO UPDATE cannot affect row a second time") and stops.
  @ArrayUnique((price: PriceBody) => price.seatType, { message: 'prices must name each seat type at most once' })
  prices!: PriceBody[];
}

export class CreateEventBody extends PricesBody {
  @ApiProperty({ format: 'uuid' }) @IsUUID()
  venueId!: string;

  @ApiProperty({ maxLength: 255 }) @IsString() @IsNotEmpty() @MaxCharacters(255)
  name!: string;

  @ApiPropertyOptional({ maxLength: 10_000 }) @IsOptional() @IsString() @MaxCharacters(10_000)
  description?: string;

  @ApiProperty({ format: 'date-time' }) @IsISO8601({ strict: true })
  startTime!: string;

  @ApiProperty({ format: 'date-time' }) @IsISO8601({ strict: true })
  endTime!: string;
}

export class EventIdParam {
  @IsUUID() eventId!: string;
}

export class VenueIdParam {
  @IsUUID() venueId!: string;
}
