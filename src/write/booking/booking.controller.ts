import { Body, Controller, Headers, HttpCode, Param, Post, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Authenticated, type AuthenticatedUser, CurrentUser } from '../../auth.js';
import { Environment } from '../../config.js';
import { PerUserRateLimit } from '../../rate-limit.js';
import { DomainError } from '../domain-error.js';
import { idempotencyKeyOf } from '../idempotency-key.js';
import { CommandAdmission } from '../command-admission.js';
import { requestContext } from '../message-context.js';
import { formatMoney } from '../money.js';
import { BookingIdParam, PlaceBookingBody } from './booking.dto.js';
import { EndBookingMessage, type PlacedBooking, PlaceBookingMessage } from './booking.handler.js';

const answer = ({ booking, position }: PlacedBooking) => ({
  id: booking.placed.bookingId,
  status: booking.status,
  expiresAt: booking.placed.expiresAt,
  totalAmount: formatMoney(booking.placed.totalMinor),
  currency: booking.placed.currency,
  items: booking.placed.items.map(({ seatId, priceMinor }) => ({ seatId, price: formatMoney(priceMinor) })),
  position,
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
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'The same key and body return the first answer; another body, 422' })
  async place(
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
  async cancel(@Param() { id }: BookingIdParam, @Req() request: Request, @CurrentUser() user: AuthenticatedUser) {
    const command = { type: 'CancelBooking', data: { bookingId: id, userId: user.userId } } as const;
    const { position } = await this.commands.execute(new EndBookingMessage(command, requestContext(request, user.userId)));
    return { status: 'CANCELLED', position };
  }
}
