import { Module } from '@nestjs/common';
import { WebhookController } from './webhook.controller.js';
import { WebhookCommandHandler } from './webhook.handler.js';

/** Outbound webhook subscriptions; their delivery is a follower of the log (src/projections/webhooks). */
@Module({ controllers: [WebhookController], providers: [WebhookCommandHandler] })
export class WebhooksModule {}
