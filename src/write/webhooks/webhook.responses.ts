import { ApiProperty } from '@nestjs/swagger';
import { CommandAnswer } from '../../openapi/common.js';

export class WebhookCreatedAnswer extends CommandAnswer {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({
    example: 'whsec_3q2-7wAAAA…',
    description: 'Signs every delivery (Eventix-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">). Shown once, here: keep it.',
  })
  secret!: string;
}
