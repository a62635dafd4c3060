import { Body, Controller, Headers, HttpCode, Param, Post, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Authenticated, type AuthenticatedUser, CurrentUser } from '../../auth.js';
import { Environment } from '../../config.js';
import { PerUserRateLimit } from '../../rate-limit.js';
import { DomainError } from '../domain-error.js';
import { IDEMPOTENCY_KEY, idempotencyKeyOf } from '../idempotency-key.js';
import { CommandAdmission } from '../command-admission.js';
import { requestContext } from '../message-context.js';
import { answeredPosition } from '../event-store/handle-command.js';
import { formatMoney } from '../money.js';
import { Problems } from '../../openapi/problems.js';
import { BookingIdParam, PlaceBookingBody } from './booking.dto.js';
import { BookingCancelled, BookingPlaced } from './booking.responses.js';
import { EndBookingMessage, type PlacedBooking, PlaceBookingMessage } from './booking.handler.js';

const answer = ({ booking, position }: PlacedBooking): BookingPlaced => ({
  id: booking.placed.bookingId,
  status: booking.status,
  expiresAt: booking.placed.expiresAt,
  totalAmount: formatMoney(booking.placed.totalMinor),
  currency: booking.placed.currency,
  items: booking.placed.items.map(({ seatId, priceMinor }) => ({ seatId, price: formatMoney(priceMinor) })),
  position: answeredPosition(position),
});

@ApiTags('bookings')
@Authenticated()
@UseInterceptors(CommandAdmission)
@Controller('bookings')
export class BookingController {
  constructor(
    private readonly commands: CommandBus,
    private readonly env: Environment,
  ) {}

  @Post()
  @UseGuards(PerUserRateLimit)
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiOperation({
    summary: 'Hold seats of an event for a new booking',
    description:
      'Holds the seats for the buyer (the token\'s user) until `expiresAt`; pay before then, or the booking expires and the seats return. ' +
      'All the seats or none: if someone else holds one, the answer is 409 with `conflictingSeatIds`.',
  })
  @ApiCreatedResponse({ type: BookingPlaced, description: 'The booking, PENDING, with its price' })
  @Problems({
    404: 'No such event',
    409: 'Some seats are taken (`conflictingSeatIds`), or the buyer would hold more than the per-user limit (`seat-limit-reached`, with `limit` and `held`)',
    422: 'The event does not sell seats (not published, cancelled or started), a seat is not in its venue (`unknownSeatIds`), or the Idempotency-Key was used with another body',
    429: true,
  })
  async placeBooking(
    @Body() body: PlaceBookingBody,
    @Headers('idempotency-key') key: string | undefined,
    @Req() request: Request,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    if (body.seatIds.length > this.env.MAX_SEATS_PER_BOOKING) {
      throw new DomainError('invalid', `A booking holds at most ${this.env.MAX_SEATS_PER_BOOKING} seats`);
    }
    const placed = await this.commands.execute(
      new PlaceBookingMessage(
        { userId: user.userId, eventId: body.eventId, seatIds: body.seatIds, idempotencyKey: idempotencyKeyOf(key) },
        requestContext(request, user.userId),
      ),
    );
    return answer(placed);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a booking', description: 'Releases its seats; a paid booking is refunded. Cancelling a cancelled booking answers the same again.' })
  @ApiOkResponse({ type: BookingCancelled })
  @Problems({ 404: 'No such booking (or not yours)', 422: 'The event has started: a confirmed booking can no longer be cancelled' })
  async cancelBooking(@Param() { id }: BookingIdParam, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<BookingCancelled> {
    const command = { type: 'CancelBooking', data: { bookingId: id, userId: user.userId } } as const;
    const { position } = await this.commands.execute(new EndBookingMessage(command, requestContext(request, user.userId)));
    return { status: 'CANCELLED', position: answeredPosition(position) };
  }
}
