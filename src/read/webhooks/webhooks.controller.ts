import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../../auth.js';
import { Problems } from '../../openapi/problems.js';
import { WebhookIdParam } from '../../write/webhooks/webhook.dto.js';
import { DeliveriesQuery, WebhookQueries } from './webhooks.queries.js';
import { DeliveryPage, WebhookList } from './webhooks.responses.js';

@ApiTags('webhooks')
@Authenticated('webhooks:write')
@Controller('webhooks')
export class WebhookQueryController {
  constructor(private readonly queries: WebhookQueries) {}

  @Get()
  @ApiOperation({ summary: 'The webhooks', description: 'Each with where its delivery is and whether its endpoint is failing. The secrets are not shown again.' })
  @ApiOkResponse({ type: WebhookList })
  async listWebhooks(): Promise<WebhookList> {
    return { webhooks: await this.queries.list() };
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "A webhook's delivery attempts", description: 'Every attempt to deliver an event, and what the endpoint answered, newest first.' })
  @ApiOkResponse({ type: DeliveryPage })
  @Problems({ 404: 'No such webhook' })
  webhookDeliveries(@Param() { id }: WebhookIdParam, @Query() query: DeliveriesQuery): Promise<DeliveryPage> {
    return this.queries.deliveries(id, query);
  }
}
