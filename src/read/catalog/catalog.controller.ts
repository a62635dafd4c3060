import { Controller, Get, Param, Query, UseInterceptors } from '@nestjs/common';
import { ApiHeader, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { EventIdParam } from '../../write/catalog/catalog.dto.js';
import { MinPositionInterceptor } from '../min-position.interceptor.js';
import { Paging } from '../paging.js';
import { CatalogQueries } from './catalog.queries.js';

const EVENT_STATUSES = ['DRAFT', 'PUBLISHED', 'CANCELLED', 'COMPLETED'] as const;

class EventsQuery extends Paging {
  @ApiPropertyOptional({ enum: EVENT_STATUSES }) @IsOptional() @IsIn(EVENT_STATUSES)
  status?: (typeof EVENT_STATUSES)[number];
}

/** The public catalog: events, and each event's seat map. */
@ApiTags('catalog')
@ApiHeader({ name: 'X-Min-Position', required: false, description: 'Answer only once the read models have caught up to this position' })
@UseInterceptors(MinPositionInterceptor)
@Controller('events')
export class CatalogQueryController {
  constructor(private readonly queries: CatalogQueries) {}

  @Get()
  async list(@Query() { status, limit, offset }: EventsQuery) {
    return { items: await this.queries.listEvents(status, limit, offset), limit, offset };
  }

  @Get(':eventId')
  event(@Param() { eventId }: EventIdParam) {
    return this.queries.event(eventId);
  }

  @Get(':eventId/seat-map')
  seatMap(@Param() { eventId }: EventIdParam) {
    return this.queries.seatMap(eventId);
  }
}
