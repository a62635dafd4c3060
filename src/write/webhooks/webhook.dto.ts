import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, IsUrl, IsUUID, Matches } from 'class-validator';
import { INTEGRATION_EVENT_TYPES, type IntegrationEventType } from '../../projections/integration-events.js';
import { MaxCharacters } from '../../validation.js';

export const MAX_URL_CHARACTERS = 2_048;

export class CreateWebhookBody {
  @ApiProperty({
    format: 'uri',
    maxLength: MAX_URL_CHARACTERS,
    example: 'https://box-office.example/eventix-webhook',
    description:
      'Where the events are POSTed. In production only https, to a host that resolves to public addresses only (checked again at every connection); ' +
      'elsewhere http and loopback too. No user name or password: the URL is recorded in the log.',
  })
  @IsString() @MaxCharacters(MAX_URL_CHARACTERS) @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'url must be an absolute http(s) URL' })
  url!: string;

  @ApiProperty({ enum: INTEGRATION_EVENT_TYPES, isArray: true, minItems: 1, maxItems: INTEGRATION_EVENT_TYPES.length, uniqueItems: true, description: 'The integration events to send (docs/integration-events.md)' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(INTEGRATION_EVENT_TYPES.length) @ArrayUnique() @IsIn(INTEGRATION_EVENT_TYPES, { each: true })
  eventTypes!: IntegrationEventType[];
}

export class WebhookIdParam {
  @ApiProperty({ format: 'uuid' }) @IsUUID()
  id!: string;
}

export class ReplayWebhookBody {
  @ApiProperty({
    pattern: '^\\d{1,20}:\\d{1,20}$',
    example: '00000000000000001234:00000000000000001234',
    description:
      'Send again every subscribed event after this position of the log (exclusive, as a checkpoint is): the `Eventix-Position` of the last delivery you kept, ' +
      "or a delivery's `position` in the deliveries list. It only ever goes back: a position past what was delivered already sends nothing twice and skips nothing.",
  })
  @IsString() @Matches(/^\d{1,20}:\d{1,20}$/, { message: 'fromPosition must be a position, two numbers joined by ":"' })
  fromPosition!: string;
}
