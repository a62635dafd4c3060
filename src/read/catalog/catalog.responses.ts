import { ApiProperty } from '@nestjs/swagger';
import { AMOUNT, PageAnswer } from '../../openapi/common.js';
import { SEAT_TYPES, type SeatType } from '../../write/catalog/venue.events.js';
import { EVENT_STATUSES, type EventStatus, SEAT_STATUSES, type SeatStatus } from './catalog.entity.js';

export class SeatTypePrice {
  @ApiProperty({ enum: SEAT_TYPES, enumName: 'SeatType' }) seatType!: SeatType;
  @ApiProperty(AMOUNT) price!: string;
}

export class Event {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) venueId!: string;
  @ApiProperty({ example: 'The Magic Flute' }) name!: string;
  @ApiProperty({ type: 'string', nullable: true }) description!: string | null;
  @ApiProperty({ format: 'date-time' }) startTime!: string;
  @ApiProperty({ format: 'date-time' }) endTime!: string;
  @ApiProperty({ enum: EVENT_STATUSES, enumName: 'EventStatus' }) status!: EventStatus;
  @ApiProperty({ example: 'USD', description: 'ISO 4217: what its prices, and its bookings and payments, are in' }) currency!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: SeatTypePrice, isArray: true }) prices!: SeatTypePrice[];
}

export class EventPage extends PageAnswer {
  @ApiProperty({ type: Event, isArray: true, description: 'By start time' }) items!: Event[];
}

export class SeatOfMap {
  @ApiProperty({ format: 'uuid' }) seatId!: string;
  @ApiProperty({ example: 'Block 104', description: '"" in a venue without sections' }) section!: string;
  @ApiProperty({ example: 'A' }) row!: string;
  @ApiProperty({ type: 'integer', example: 12 }) number!: number;
  @ApiProperty({ enum: SEAT_TYPES, enumName: 'SeatType' }) type!: SeatType;
  @ApiProperty({
    type: 'integer', minimum: 0, example: 1000003,
    description: "Lower is better: the organiser's, or the layout's (rows in the order they were created, 1,000,000 apart, then the distance from the middle of the row in half seats). Best available chooses the lowest total",
  })
  rank!: number;
  @ApiProperty({ ...AMOUNT, nullable: true, description: 'null while the event has no price for this seat type' }) price!: string | null;
  @ApiProperty({ enum: SEAT_STATUSES, enumName: 'SeatStatus', description: "RESERVED: held by a pending booking; SOLD: paid; HELD: kept back by the organiser" })
  status!: SeatStatus;
}

export class SeatCounts {
  @ApiProperty({ type: 'integer' }) AVAILABLE!: number;
  @ApiProperty({ type: 'integer' }) RESERVED!: number;
  @ApiProperty({ type: 'integer' }) SOLD!: number;
  @ApiProperty({ type: 'integer' }) HELD!: number;
  @ApiProperty({ type: 'integer' }) total!: number;
}

export class SeatMap {
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ format: 'uuid' }) venueId!: string;
  @ApiProperty({ example: 'USD', description: "ISO 4217: the seats' prices are in it" }) currency!: string;
  @ApiProperty({ type: SeatOfMap, isArray: true, description: 'By section, row, then number' }) seats!: SeatOfMap[];
  @ApiProperty({ type: SeatCounts }) counts!: SeatCounts;
  @ApiProperty({ description: 'The last event these seats reflect (empty while the event has no seats); the live stream resumes after it' })
  position!: string;
}
