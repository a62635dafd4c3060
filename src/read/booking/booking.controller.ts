import { Controller, Get, Param, Query, UseInterceptors } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { Authenticated, type AuthenticatedUser, CurrentUser } from '../../auth.js';
import { BOOKING_STATUSES, type BookingStatus } from '../../write/booking/booking.decider.js';
import { BookingIdParam } from '../../write/booking/booking.dto.js';
import { MIN_POSITION, MinPositionInterceptor } from '../min-position.interceptor.js';
import { Paging } from '../paging.js';
import { BookingQueries } from './booking.queries.js';
import { Problems } from '../../openapi/problems.js';
import { Booking, BookingPage, HistoryEntry } from './booking.responses.js';


class MyBookingsQuery extends Paging {
  @ApiProperty({ description: 'Only bookings in this status' }) @IsOptional() @IsIn(BOOKING_STATUSES)
  status?: BookingStatus;
}

@ApiTags('bookings')
@ApiHeader(MIN_POSITION)
@Authenticated()
@UseInterceptors(MinPositionInterceptor)
@Controller()
export class BookingQueryController {
  constructor(private readonly queries: BookingQueries) {}

  @Get('bookings/:id')
  @ApiOperation({ summary: 'Get a booking', description: "One of the caller's bookings: its seats, status, ticket reference and payment." })
  @ApiOkResponse({ type: Booking })
  @Problems({ 404: 'No such booking (or not yours)' })
  getBooking(@Param() { id }: BookingIdParam, @CurrentUser() user: AuthenticatedUser): Promise<Booking> {
    return this.queries.booking(id, user.userId);
  }

  @Get('bookings/:id/history')
  @ApiOperation({
    summary: "A booking's history (audit trail)",
    description: "The booking's events and its payment's, in log order, each with its data, metadata and the state after it; read from the event store itself.",
  })
  @ApiOkResponse({ type: HistoryEntry, isArray: true })
  @Problems({ 404: 'No such booking (or not yours)' })
  getBookingHistory(@Param() { id }: BookingIdParam, @CurrentUser() user: AuthenticatedUser): Promise<HistoryEntry[]> {
    return this.queries.history(id, user.userId);
  }

  @Get('me/bookings')
  @ApiOperation({ summary: "The caller's bookings", description: "The token user's bookings, newest first, optionally only those in one status." })
  @ApiOkResponse({ type: BookingPage })
  async listMyBookings(@Query() { status, limit, offset }: MyBookingsQuery, @CurrentUser() user: AuthenticatedUser): Promise<BookingPage> {
    return { items: await this.queries.myBookings(user.userId, status, limit, offset), limit, offset };
  }
}
