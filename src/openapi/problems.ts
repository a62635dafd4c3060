import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, type ApiPropertyOptions, ApiResponse, getSchemaPath, type ResponseObject } from '@nestjs/swagger';

class PositionOfSeat {
  @ApiProperty({ example: 'Block 104', description: '"" for a venue without sections' }) section!: string;
  @ApiProperty({ example: 'A' }) row!: string;
  @ApiProperty({ type: 'integer', example: 12 }) number!: number;
}

class FirstScan {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ example: 'North 3' }) gate!: string;
}

/** The health checks terminus reports (health.controller.ts), by name: each its `status` and what it found. */
export const HEALTH_CHECKS = {
  type: 'object',
  additionalProperties: { type: 'object', additionalProperties: true, properties: { status: { type: 'string', enum: ['up', 'degraded', 'down'] } }, required: ['status'] },
};

/**
 * RFC 9457 problem details, the one shape of every error this service answers
 * (problem-details.filter.ts), with the extension members some problems carry.
 */
export class ProblemDetails {
  @ApiProperty({ description: 'What kind of problem, as a URI; stable, for programs to branch on', example: 'https://eventix.dev/problems/conflict' })
  type!: string;

  @ApiProperty({ description: "The HTTP status's name", example: 'Conflict' })
  title!: string;

  @ApiProperty({ type: 'integer', description: 'The HTTP status', example: 409 })
  status!: number;

  @ApiProperty({ required: false, description: 'What went wrong with this request, for people', example: 'Some of these seats are already taken' })
  detail?: string;

  @ApiProperty({ required: false, type: 'string', format: 'uuid', isArray: true, description: 'Seats someone else holds (conflict)' })
  conflictingSeatIds?: string[];

  @ApiProperty({ required: false, type: 'string', format: 'uuid', isArray: true, description: "Seats that are not in the event's venue" })
  unknownSeatIds?: string[];

  @ApiProperty({ required: false, type: PositionOfSeat, isArray: true, description: 'Positions where a seat exists already (addSeats)' })
  conflictingSeats?: PositionOfSeat[];

  @ApiProperty({ required: false, type: 'integer', description: 'How many seats of an event a buyer may hold (seat-limit-reached)' })
  limit?: number;

  @ApiProperty({ required: false, type: 'integer', description: 'How many the buyer holds already (seat-limit-reached)' })
  held?: number;

  @ApiProperty({ required: false, type: 'integer', description: 'How many seats of the asked type (and section) are free, none of them in a block that size (not-enough-seats)' })
  available?: number;

  @ApiProperty({ required: false, enum: ['ALREADY_ADMITTED', 'VOID'], description: 'Check-in only: why the ticket was not admitted' })
  result?: 'ALREADY_ADMITTED' | 'VOID';

  @ApiProperty({ required: false, type: FirstScan, description: 'Check-in, ALREADY_ADMITTED: the scan that admitted the ticket' })
  firstScan?: FirstScan;

  @ApiProperty({ required: false, enum: ['booking-not-confirmed', 'event-cancelled'], description: 'Check-in, VOID: why the ticket admits no one' })
  reason?: string;

  @ApiProperty({ required: false, format: 'uuid', description: 'Check-in: the ticket scanned' })
  ticketId?: string;

  @ApiProperty({ required: false, format: 'uuid', description: 'Check-in: its seat' })
  seatId?: string;

  @ApiProperty({ ...HEALTH_CHECKS, required: false, description: 'Health checks only: each check and what it found' } as ApiPropertyOptions)
  checks?: Record<string, unknown>;
}

/** What each status means on any route; a route may say more. */
const MEANING: Record<number, string> = {
  304: 'Not modified: the ETag sent in If-None-Match is still current',
  400: 'The request is malformed: a field, parameter or header fails validation (`detail` names them)',
  401: 'No bearer token, or one that is not valid (WWW-Authenticate: Bearer)',
  403: 'The token lacks a permission this route needs',
  404: 'No such resource (or not yours)',
  409: 'Conflict with the current state',
  413: 'The body is larger than 64 KB',
  422: 'Understood, but not possible in the current state',
  429: 'Too many attempts by this user; retry after the seconds in Retry-After',
  503: 'A store this service needs cannot be reached, the read models are behind X-Min-Position, or this instance is shutting down; retry after the seconds in Retry-After',
};

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying', required: true, schema: { type: 'integer', minimum: 1 } } };

/** A problem answer, as the document declares it: problem+json, and Retry-After where the client is told to wait. */
export const problemResponse = (status: number, description = MEANING[status]): ResponseObject => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetails) } } },
  ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
});

/**
 * The problems a route answers beyond those every route has (document.ts adds 400, 413 and 503;
 * @Authenticated, 401 and 403): `{ 404: true }` with the general meaning, or its own words.
 */
export const Problems = (statuses: Record<number, string | true>) =>
  applyDecorators(
    ApiExtraModels(ProblemDetails),
    ...Object.entries(statuses).map(([status, words]) => ApiResponse({ status: Number(status), ...problemResponse(Number(status), words === true ? undefined : words) })),
  );
