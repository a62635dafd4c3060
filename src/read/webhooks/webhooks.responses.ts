import { ApiProperty } from '@nestjs/swagger';
import { PageAnswer } from '../../openapi/common.js';
import { INTEGRATION_EVENT_TYPES, type IntegrationEventType } from '../../projections/integration-events.js';

export class Webhook {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uri' }) url!: string;
  @ApiProperty({ enum: INTEGRATION_EVENT_TYPES, isArray: true }) eventTypes!: IntegrationEventType[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({
    enum: ['delivering', 'retrying', 'failing'],
    description: 'retrying: the endpoint refuses or does not answer, and is being tried again; failing: it has for WEBHOOK_FAILING_AFTER_SECONDS (a day) or more. Either way nothing is skipped.',
  })
  state!: 'delivering' | 'retrying' | 'failing';
  @ApiProperty({ description: 'The position of the log up to which events have been delivered (its checkpoint; "" before it has one)', example: '00000000000000001234:00000000000000001234' })
  position!: string;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, description: 'Since when the event it is on has been failing' }) retryingSince!: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) failingSince!: string | null;
  @ApiProperty({ type: 'string', nullable: true, description: "The last failure: the endpoint's status and the start of its answer, or why there was none", example: 'HTTP 503: Service Unavailable' })
  lastError!: string | null;
}

export class WebhookList {
  @ApiProperty({ type: Webhook, isArray: true, description: 'Oldest first' }) webhooks!: Webhook[];
}

export class Delivery {
  @ApiProperty({ format: 'uuid', description: "The event's id, as sent in Eventix-Event-Id" }) eventId!: string;
  @ApiProperty({ enum: INTEGRATION_EVENT_TYPES }) eventType!: IntegrationEventType;
  @ApiProperty({ description: "The envelope's subject: a booking, payment, event or ticket id" }) subject!: string;
  @ApiProperty({ description: "The event's position in the log (Eventix-Position): replay from it to send what came after", example: '00000000000000001234:00000000000000001234' })
  position!: string;
  @ApiProperty({ type: 'integer', minimum: 1, description: "This event's attempt number, 1 the first time (a restart or a replay counts from 1 again)" }) attempt!: number;
  @ApiProperty({ format: 'date-time' }) attemptedAt!: string;
  @ApiProperty({ enum: ['DELIVERED', 'FAILED'] }) outcome!: 'DELIVERED' | 'FAILED';
  @ApiProperty({ type: 'integer', nullable: true, description: "The endpoint's HTTP status; null when it did not answer" }) statusCode!: number | null;
  @ApiProperty({ type: 'string', nullable: true }) error!: string | null;
  @ApiProperty({ type: 'integer', minimum: 0 }) durationMs!: number;
}

export class DeliveryPage extends PageAnswer {
  @ApiProperty({ type: Delivery, isArray: true, description: 'Newest first (kept 30 days)' }) items!: Delivery[];
}
