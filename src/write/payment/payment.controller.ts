import { Body, Controller, Headers, HttpCode, Param, Post, type RawBodyRequest, Req, UnauthorizedException, UseGuards, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiExcludeEndpoint, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Authenticated, type AuthenticatedUser, CurrentUser } from '../../auth.js';
import { Environment } from '../../config.js';
import { PerUserRateLimit } from '../../rate-limit.js';
import { BookingIdParam } from '../booking/booking.dto.js';
import { idempotencyKeyOf } from '../idempotency-key.js';
import { CommandAdmission } from '../command-admission.js';
import { requestContext } from '../message-context.js';
import { PayBody, WebhookPayload } from './payment.dto.js';
import { RecordPaymentOutcomeMessage, RequestPaymentMessage } from './payment.handler.js';
import { verifyWebhook } from './webhook-signature.js';
import { InputValidationPipe } from '../../validation.js';

const webhookBody = new InputValidationPipe();

@ApiTags('payments')
@UseInterceptors(CommandAdmission)
@Controller()
export class PaymentController {
  constructor(
    private readonly commands: CommandBus,
    private readonly env: Environment,
  ) {}

  @Post('bookings/:id/payments')
  @HttpCode(202)
  // Decorators apply bottom-up: @Authenticated() (nearest the method) runs first, so the limit counts per user.
  @UseGuards(PerUserRateLimit)
  @Authenticated()
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async pay(
    @Param() { id }: BookingIdParam,
    @Body() body: PayBody,
    @Headers('idempotency-key') key: string | undefined,
    @Req() request: Request,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    const idempotencyKey = idempotencyKeyOf(key);
    return this.commands.execute(
      new RequestPaymentMessage({ bookingId: id, userId: user.userId, paymentMethod: body.paymentMethod, idempotencyKey }, requestContext(request, user.userId)),
    );
  }

  /** The provider's outcomes. The signature is checked over the raw bytes, before anything is read. */
  @Post('payments/webhook')
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async webhook(@Req() request: RawBodyRequest<Request>) {
    if (!request.rawBody || !verifyWebhook(request.header('eventix-signature'), request.rawBody, this.env.PAYMENT_WEBHOOK_SECRET)) {
      throw new UnauthorizedException('The webhook signature is missing, wrong or too old');
    }
    const outcome: WebhookPayload = await webhookBody.transform(request.body, { type: 'body', metatype: WebhookPayload });
    const context = { ...requestContext(request, null), causationId: `provider:${outcome.id}` };
    await this.commands.execute(new RecordPaymentOutcomeMessage(outcome, context));
    return { received: true };
  }
}
