import { Body, Controller, Delete, HttpCode, Param, Post, Req, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { Authenticated, type AuthenticatedUser, CurrentUser } from '../../auth.js';
import { Environment } from '../../config.js';
import { CommandAnswer } from '../../openapi/common.js';
import { Problems } from '../../openapi/problems.js';
import { CommandAdmission } from '../command-admission.js';
import { normalizePosition } from '../event-store/event-store.port.js';
import { answeredPosition } from '../event-store/handle-command.js';
import { userContext } from '../message-context.js';
import { UserKeys } from '../privacy/user-keys.js';
import { type WebhookCommand } from './webhook.decider.js';
import { CreateWebhookBody, ReplayWebhookBody, WebhookIdParam } from './webhook.dto.js';
import { WebhookCommandMessage } from './webhook.handler.js';
import { WebhookCreatedAnswer } from './webhook.responses.js';
import { webhookSecret } from './webhook-secret.js';
import { MAX_WEBHOOKS } from './webhook.decider.js';

/** Outbound webhooks' command API: only for tokens with the permission webhooks:write. */
@ApiTags('webhooks')
@Authenticated('webhooks:write')
@UseInterceptors(CommandAdmission)
@Controller('webhooks')
export class WebhookController {
  constructor(
    private readonly commands: CommandBus,
    private readonly env: Environment,
    private readonly keys: UserKeys,
  ) {}

  private async run(command: WebhookCommand, request: Request, user: AuthenticatedUser): Promise<string> {
    const { position } = await this.commands.execute(new WebhookCommandMessage(command, await userContext(request, user.userId, this.keys)));
    return answeredPosition(position);
  }

  @Post()
  @ApiOperation({
    summary: 'Subscribe an endpoint to integration events',
    description:
      'Each event of these types is POSTed to the URL as the integration-event envelope (docs/integration-events.md), signed with the secret answered here, ' +
      'from the next event on. A failure or a timeout (10 s) is tried again with exponential backoff, without end; after 24 hours of failures the webhook shows as failing ' +
      `(/health, /metrics) until its endpoint takes events again. One booking's events arrive in order. At most ${MAX_WEBHOOKS} webhooks.`,
  })
  @ApiCreatedResponse({ type: WebhookCreatedAnswer })
  @Problems({ 400: 'A field fails validation, or the URL is not allowed (scheme, credentials, a host that does not resolve or resolves to a private address)', 409: `There are ${MAX_WEBHOOKS} webhooks already (\`too-many-webhooks\`)` })
  async createWebhook(@Body() body: CreateWebhookBody, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<WebhookCreatedAnswer> {
    const webhookId = randomUUID();
    const position = await this.run({ type: 'CreateWebhook', data: { webhookId, url: body.url, eventTypes: body.eventTypes } }, request, user);
    return { id: webhookId, secret: webhookSecret(this.env.OUTBOUND_WEBHOOK_KEY, webhookId), position };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a webhook', description: 'Nothing more is sent to it; its deliveries list goes with it (the log keeps its history).' })
  @ApiOkResponse({ type: CommandAnswer })
  @Problems({ 404: 'No such webhook' })
  async deleteWebhook(@Param() { id }: WebhookIdParam, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<CommandAnswer> {
    return { position: await this.run({ type: 'DeleteWebhook', data: { webhookId: id } }, request, user) };
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send events again, from a position of the log',
    description: "The subscribed events after `fromPosition` are sent again, in order, then the webhook goes on as before. They carry the same Eventix-Event-Id as the first time.",
  })
  @ApiAcceptedResponse({ type: CommandAnswer })
  @Problems({ 404: 'No such webhook' })
  async replayWebhook(@Param() { id }: WebhookIdParam, @Body() body: ReplayWebhookBody, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<CommandAnswer> {
    // Canonical form: the checkpoint it becomes is compared as a string.
    const fromPosition = normalizePosition(body.fromPosition)!;
    return { position: await this.run({ type: 'ReplayWebhook', data: { webhookId: id, fromPosition } }, request, user) };
  }
}
