import { Controller, Get, type MessageEvent, Param, Query, Req, Res, Sse, UseInterceptors } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { concat, type Observable, of } from 'rxjs';
import { EventIdParam } from '../../write/catalog/catalog.dto.js';
import { DomainError } from '../../write/domain-error.js';
import { normalizePosition } from '../../write/event-store/event-store.port.js';
import { MIN_POSITION, MinPositionInterceptor } from '../min-position.interceptor.js';
import { Paging } from '../paging.js';
import { CatalogQueries } from './catalog.queries.js';
import { SeatMapFeed } from './seat-map.feed.js';
import { Problems } from '../../openapi/problems.js';
import { EVENT_STATUSES, type EventStatus } from './catalog.entity.js';
import { Event, EventPage, SeatMap } from './catalog.responses.js';

class EventsQuery extends Paging {
  @ApiProperty({ description: 'Only events in this status' }) @IsOptional() @IsIn(EVENT_STATUSES)
  status?: EventStatus;
}

class SeatMapStreamQuery {
  @ApiProperty({ description: 'Resume after this position (as Last-Event-ID does): only the changes after it, no snapshot' })
  @IsOptional() @IsString()
  after?: string;
}

/** The public catalog: events, and each event's seat map. */
@ApiTags('catalog')
@ApiHeader(MIN_POSITION)
@UseInterceptors(MinPositionInterceptor)
@Controller('events')
export class CatalogQueryController {
  constructor(private readonly queries: CatalogQueries) {}

  @Get()
  @ApiOperation({ summary: 'List events', description: 'Events by start time, optionally only those in one status; public, no token needed.' })
  @ApiOkResponse({ type: EventPage })
  async listEvents(@Query() { status, limit, offset }: EventsQuery): Promise<EventPage> {
    return { items: await this.queries.listEvents(status, limit, offset), limit, offset };
  }

  @Get(':eventId')
  @ApiOperation({ summary: 'Get an event', description: 'The event with its status and prices; public, no token needed.' })
  @ApiOkResponse({ type: Event })
  @Problems({ 404: 'No such event' })
  getEvent(@Param() { eventId }: EventIdParam): Promise<Event> {
    return this.queries.event(eventId);
  }

  /**
   * Sent as the bytes the cache holds, with their ETag (If-None-Match gets a 304): serialising
   * 10,000 seats per request, or only encoding and hashing them, is the on-sale's main cost.
   */
  @Get(':eventId/seat-map')
  @ApiOperation({
    summary: "An event's seat map",
    description: 'Every seat with its type, price and status, and the counts; public. Send the ETag back in If-None-Match to get 304 while nothing changed.',
  })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'The ETag of a seat map read before' })
  @ApiOkResponse({ type: SeatMap, headers: { ETag: { description: 'The version of this seat map', required: true, schema: { type: 'string' } } } })
  @ApiResponse({ status: 304, description: 'The seat map has not changed since the ETag in If-None-Match' })
  @Problems({ 404: 'No such event' })
  async getSeatMap(@Param() { eventId }: EventIdParam, @Res() response: Response): Promise<void> {
    const { body, etag } = await this.queries.seatMapBody(eventId);
    // Sent by Express itself: Nest would serialise a Buffer as JSON; Express answers a matching If-None-Match with 304.
    response.type('application/json; charset=utf-8').setHeader('ETag', etag);
    response.send(body);
  }
}

/**
 * The seat map, live. A controller of its own: X-Min-Position's interceptor would make the handler's
 * errors (404, 400) arrive after the stream's headers, as an SSE error instead of a problem+json answer.
 */
@ApiTags('catalog')
@Controller('events')
export class SeatMapStreamController {
  constructor(
    private readonly queries: CatalogQueries,
    private readonly feed: SeatMapFeed,
  ) {}

  @Sse(':eventId/seat-map/stream')
  @Problems({ 404: 'No such event' })
  @ApiOkResponse({ description: 'Server-Sent Events: `snapshot`, then `changes`', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Sent by EventSource on a reconnect: resume after this position' })
  @ApiOperation({
    summary: 'The seat map, live (Server-Sent Events)',
    description:
      'First a `snapshot` message (the seat map, as GET /events/:eventId/seat-map, with the `position` it reflects), then `changes` ' +
      'messages `{position, seats:[{seatId, status}]}`, a few a second at most. Every message has the SSE id of the last position it ' +
      'reflects; with Last-Event-ID (or ?after=) only the changes after that position come, so a reconnect misses and repeats nothing.',
  })
  async streamSeatMap(
    @Param() { eventId }: EventIdParam,
    @Query() { after }: SeatMapStreamQuery,
    @Req() request: Request,
  ): Promise<Observable<MessageEvent>> {
    const resumeFrom = request.header('last-event-id') || after;
    if (resumeFrom) {
      const position = normalizePosition(resumeFrom);
      if (!position) throw new DomainError('invalid', 'Last-Event-ID and after must be a position this stream sent');
      await this.queries.event(eventId); // an unknown event is a 404 here too
      return this.feed.changesAfter(eventId, position);
    }
    const map = await this.queries.seatMap(eventId);
    return concat(of<MessageEvent>({ type: 'snapshot', id: map.position, retry: 1_000, data: map }), this.feed.changesAfter(eventId, map.position));
  }
}
