import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, Matches, Min, ValidateNested } from 'class-validator';
import { MaxCharacters } from '../../validation.js';

export class PayBody {
  @ApiProperty({ example: 'pm_card_visa', description: 'A payment method of the provider (test provider: pm_card_visa, pm_card_chargeDeclined, …)' })
  @IsString() @Matches(/^pm_[A-Za-z0-9_]{1,100}$/, { message: 'paymentMethod must look like pm_…' })
  paymentMethod!: string;
}

class WebhookData {
  @IsUUID() paymentId!: string;
  @IsInt() @Min(1) attempt!: number;
  @IsString() @IsNotEmpty() @MaxCharacters(255) externalId!: string;
  @IsOptional() @IsString() @MaxCharacters(1_000) reason!: string | null;
}

/** A provider outcome, after its signature was checked. */
export class WebhookPayload {
  @IsString() @IsNotEmpty() @MaxCharacters(255) id!: string;
  @IsIn(['payment.succeeded', 'payment.failed']) type!: 'payment.succeeded' | 'payment.failed';
  @IsObject() @ValidateNested() @Type(() => WebhookData) data!: WebhookData;
}

