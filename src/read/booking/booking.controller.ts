import { Controller, Get, Param, Query, UseInterceptors } from '@nestjs/common';
import { ApiHeader, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { Authenticated, type AuthenticatedUser, CurrentUser } from '../../auth.js';
import { BOOKING_STATUSES, type BookingStatus } from '../../write/booking/booking.decider.js';
import { BookingIdParam } from '../../write/booking/booking.dto.js';
import { MinPositionInterceptor } from '../min-position.interceptor.js';
import { Paging } from '../paging.js';
import { BookingQueries } from './booking.queries.js';


class MyBookingsQuery extends Paging {
  @ApiPropertyOptional({ enum: BOOKING_STATUSES }) @IsOptional() @IsIn(BOOKING_STATUSES)
  status?: BookingStatus;
}

@ApiTags('bookings')
@ApiHeader({ name: 'X-Min-Position', required: false, description: 'Answer only once the read models have caught up to this position' })
@Authenticated()
@UseInterceptors(MinPositionInterceptor)
@Controller()
export class BookingQueryController {
  constructor(private readonly queries: BookingQueries) {}

  @Get('bookings/:id')
  booking(@Param() { id }: BookingIdParam, @CurrentUser() user: AuthenticatedUser) {
    return this.queries.booking(id, user.userId);
  }

  @Get('bookings/:id/history')
  history(@Param() { id }: BookingIdParam, @CurrentUser() user: AuthenticatedUser) {
    return this.queries.history(id, user.userId);
  }

  @Get('me/bookings')
  async mine(@Query() { status, limit, offset }: MyBookingsQuery, @CurrentUser() user: AuthenticatedUser) {
    return { items: await this.queries.myBookings(user.userId, status, limit, offset), limit, offset };
  }
}
