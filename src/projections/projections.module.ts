import { Global, Module } from '@nestjs/common';
import { FollowUps } from './follow-ups.reactor.js';
import { SeatInventoryModule } from '../write/seat-inventory/seat-inventory.module.js';
import { KafkaPublisher } from './kafka-publisher.js';
import { ProjectionsService } from './projections.service.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';

@Global()
@Module({ imports: [SeatInventoryModule], providers: [ProjectionsService, FollowUps, KafkaPublisher, WebhookDispatcher], exports: [ProjectionsService, WebhookDispatcher] })
export class ProjectionsModule {}
