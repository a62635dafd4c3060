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
import { userContext } from '../message-context.js';
import { UserKeys } from '../privacy/user-keys.js';
import { answeredPosition } from '../event-store/handle-command.js';
import { formatMoney } from '../money.js';
import { Problems } from '../../openapi/problems.js';
import { BookingIdParam, PlaceBookingBody } from './booking.dto.js';
import { BookingCancelled, BookingPlaced } from './booking.responses.js';
import { EndBookingMessage, type PlacedBooking, PlaceBookingMessage, type SeatsAsked } from './booking.handler.js';

const answer = ({ booking: { status, placed }, position }: PlacedBooking): BookingPlaced => ({
  id: placed.bookingId,
  status,
  expiresAt: placed.expiresAt,
  totalAmount: formatMoney(placed.totalMinor, placed.currency),
  currency: placed.currency,
  items: placed.items.map(({ seatId, priceMinor }) => ({ seatId, price: formatMoney(priceMinor, placed.currency) })),
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
    private readonly keys: UserKeys,
  ) {}

  @Post()
  @UseGuards(PerUserRateLimit)
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiOperation({
    summary: 'Hold seats of an event for a new booking',
    description:
      'Holds the seats for the buyer (the token\'s user) until `expiresAt`; pay before then, or the booking expires and the seats return. ' +
      'Either name the seats (`seatIds`): all of them or none, and if someone else holds one the answer is 409 with `conflictingSeatIds`. ' +
      'Or ask for best available (`quantity`, optionally `seatType` and `section`): the service chooses that many adjacent seats in one row, ' +
      'of one type, with the lowest total rank (among equals, a block that leaves no seat alone), when it decides — two such requests never collide. ' +
      'The answer is 409 `not-enough-seats` (with `available`) only when no block that size is free.',
  })
  @ApiCreatedResponse({ type: BookingPlaced, description: 'The booking, PENDING, with its price' })
  @Problems({
    404: 'No such event',
    400: 'A field fails validation; both `seatIds` and `quantity`, or neither; `seatType` or `section` with `seatIds`; more seats than MAX_SEATS_PER_BOOKING; a section the venue does not have',
    409:
      'Some seats are taken or held (`conflictingSeatIds`); best available found no block that size (`not-enough-seats`, with `available`); ' +
      'or the buyer would hold more than the per-user limit (`seat-limit-reached`, with `limit` and `held`)',
    422: 'The event does not sell seats (not published, cancelled or started), a seat is not in its venue (`unknownSeatIds`), or the Idempotency-Key was used with another body',
    429: true,
  })
  async placeBooking(
    @Body() body: PlaceBookingBody,
    @Headers('idempotency-key') key: string | undefined,
    @Req() request: Request,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    const seats = this.seatsAsked(body);
    const context = await userContext(request, user.userId, this.keys);
    const placed = await this.commands.execute(
      new PlaceBookingMessage({ userId: context.userId, eventId: body.eventId, seats, idempotencyKey: idempotencyKeyOf(key) }, context),
    );
    return answer(placed);
  }

  /** The seats, or best available: one of the two. A null field is as good as none, as the pipe lets it through. */
  private seatsAsked({ seatIds, quantity, seatType, section }: PlaceBookingBody): SeatsAsked {
    const best = quantity !== undefined && quantity !== null;
    if (seatIds && best) throw new DomainError('invalid', 'Send seatIds (these seats) or quantity (best available), not both');
    if (!seatIds && !best) throw new DomainError('invalid', 'Send seatIds (these seats) or quantity (best available)');
    if (seatIds && ((seatType ?? null) !== null || (section ?? null) !== null)) throw new DomainError('invalid', 'seatType and section go with quantity (best available), not with seatIds');
    if ((seatIds?.length ?? quantity!) > this.env.MAX_SEATS_PER_BOOKING) {
      throw new DomainError('invalid', `A booking holds at most ${this.env.MAX_SEATS_PER_BOOKING} seats`);
    }
    return seatIds ? { seatIds } : { bestAvailable: { quantity: quantity!, seatType: seatType ?? null, section: section ?? null } };
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a booking', description: 'Releases its seats; a paid booking is refunded. Cancelling a cancelled booking answers the same again.' })
  @ApiOkResponse({ type: BookingCancelled })
  @Problems({ 404: 'No such booking (or not yours)', 422: 'The event has started: a confirmed booking can no longer be cancelled' })
  async cancelBooking(@Param() { id }: BookingIdParam, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<BookingCancelled> {
    const context = await userContext(request, user.userId, this.keys);
    const command = { type: 'CancelBooking', data: { bookingId: id, userId: context.userId } } as const;
    const { position } = await this.commands.execute(new EndBookingMessage(command, context));
    return { status: 'CANCELLED', position: answeredPosition(position) };
  }
}
