import { Body, Controller, Headers, HttpCode, Param, Post, type RawBodyRequest, Req, UnauthorizedException, UseGuards, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Authenticated, type AuthenticatedUser, CurrentUser } from '../../auth.js';
import { Environment } from '../../config.js';
import { PerUserRateLimit } from '../../rate-limit.js';
import { BookingIdParam } from '../booking/booking.dto.js';
import { IDEMPOTENCY_KEY, idempotencyKeyOf } from '../idempotency-key.js';
import { CommandAdmission } from '../command-admission.js';
import { requestContext, userContext } from '../message-context.js';
import { UserKeys } from '../privacy/user-keys.js';
import { answeredPosition } from '../event-store/handle-command.js';
import { PayBody, WebhookPayload } from './payment.dto.js';
import { RecordPaymentOutcomeMessage, RequestPaymentMessage } from './payment.handler.js';
import { verifyWebhook } from './webhook-signature.js';
import { InputValidationPipe } from '../../validation.js';
import { Problems } from '../../openapi/problems.js';
import { OutcomeReceived, PaymentRequested } from './payment.responses.js';

const webhookBody = new InputValidationPipe();

@ApiTags('payments')
@UseInterceptors(CommandAdmission)
@Controller()
export class PaymentController {
  constructor(
    private readonly commands: CommandBus,
    private readonly env: Environment,
    private readonly keys: UserKeys,
  ) {}

  @Post('bookings/:id/payments')
  @HttpCode(202)
  // Decorators apply bottom-up: @Authenticated() (nearest the method) runs first, so the limit counts per user.
  @UseGuards(PerUserRateLimit)
  @Authenticated()
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiOperation({
    summary: 'Pay for a booking',
    description:
      'Charges the booking\'s total with the provider. The outcome arrives later (the provider\'s webhook): the booking turns CONFIRMED, ' +
      'or the payment FAILED and may be tried again with another payment method until the hold expires.',
  })
  @ApiAcceptedResponse({ type: PaymentRequested, description: 'The charge is with the provider' })
  @Problems({
    404: 'No such booking (or not yours)',
    409: 'The booking is paid already, or a payment of it is in progress',
    422: 'The booking is cancelled or its hold has expired, or the Idempotency-Key was used with another body',
    429: true,
  })
  async payBooking(
    @Param() { id }: BookingIdParam,
    @Body() body: PayBody,
    @Headers('idempotency-key') key: string | undefined,
    @Req() request: Request,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<PaymentRequested> {
    const idempotencyKey = idempotencyKeyOf(key);
    const context = await userContext(request, user.userId, this.keys);
    const { position, ...requested } = await this.commands.execute(
      new RequestPaymentMessage({ bookingId: id, userId: context.userId, paymentMethod: body.paymentMethod, idempotencyKey }, context),
    );
    return { ...requested, position: answeredPosition(position) };
  }

  /** The provider's outcomes. The signature is checked over the raw bytes, before anything is read. */
  @Post('payments/webhook')
  @HttpCode(200)
  @ApiOperation({
    summary: "The payment provider's outcomes (webhook)",
    description:
      'Called by the payment provider, not by clients. Signed like Stripe\'s: `Eventix-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` ' +
      'with PAYMENT_WEBHOOK_SECRET; a signature older than 5 minutes is refused. Each outcome is recorded once: a repeated delivery answers 200 again.',
  })
  @ApiHeader({
    name: 'Eventix-Signature',
    required: true,
    description: 'The HMAC-SHA256 signature of the raw body, with its time',
    schema: { type: 'string', pattern: '^t=[1-9][0-9]*,v1=[0-9a-f]{64}$', example: 't=1764806400,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd' },
  })
  @ApiBody({ type: WebhookPayload })
  @ApiOkResponse({ type: OutcomeReceived })
  @Problems({ 401: 'The signature is missing, wrong or too old' })
  async receivePaymentOutcome(@Req() request: RawBodyRequest<Request>): Promise<OutcomeReceived> {
    if (!request.rawBody || !verifyWebhook(request.header('eventix-signature'), request.rawBody, this.env.PAYMENT_WEBHOOK_SECRET)) {
      throw new UnauthorizedException('The webhook signature is missing, wrong or too old');
    }
    const outcome: WebhookPayload = await webhookBody.transform(request.body, { type: 'body', metatype: WebhookPayload });
    const context = { ...requestContext(request, null), causationId: `provider:${outcome.id}` };
    await this.commands.execute(new RecordPaymentOutcomeMessage(outcome, context));
    return { received: true };
  }
}
