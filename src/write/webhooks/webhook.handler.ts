import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Environment } from '../../config.js';
import { DomainError } from '../domain-error.js';
import { EVENT_STORE, type EventStore, type MessageContext, type Position } from '../event-store/event-store.port.js';
import { handleCommand } from '../event-store/handle-command.js';
import { type WebhookCommand, webhookDecider } from './webhook.decider.js';
import { WEBHOOKS_STREAM } from './webhook.events.js';
import { refuseTarget, targetPolicy } from './webhook-target.js';

export class WebhookCommandMessage extends Command<{ position: Position | undefined }> {
  constructor(
    readonly command: WebhookCommand,
    readonly context: MessageContext,
  ) {
    super();
  }
}

@CommandHandler(WebhookCommandMessage)
export class WebhookCommandHandler implements ICommandHandler<WebhookCommandMessage> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly env: Environment,
  ) {}

  async execute({ command, context }: WebhookCommandMessage): Promise<{ position: Position | undefined }> {
    if (command.type === 'CreateWebhook') {
      // Asks DNS, so not in the decider; the delivery asks again at every connection.
      const refused = await refuseTarget(command.data.url, targetPolicy(this.env.NODE_ENV));
      if (refused) throw new DomainError('invalid', refused);
    }
    return handleCommand(this.store, WEBHOOKS_STREAM, webhookDecider, command, context);
  }
}
