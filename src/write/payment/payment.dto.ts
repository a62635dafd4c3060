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
  @ApiProperty({ description: 'Which attempt to pay the booking this is the outcome of' }) @IsInt() @Min(1) attempt!: number;
  @ApiProperty({ description: "The provider's id of the charge" }) @IsString() @IsNotEmpty() @MaxCharacters(255) externalId!: string;
  @ApiProperty({ description: 'Why the charge failed' }) @IsOptional() @IsString() @MaxCharacters(1_000) reason!: string | null;
}

/** A provider outcome, after its signature was checked. */
export class WebhookPayload {
  @ApiProperty({ description: "The provider's id of this outcome: a repeated delivery has the same" }) @IsString() @IsNotEmpty() @MaxCharacters(255) id!: string;
  @IsIn(['payment.succeeded', 'payment.failed']) type!: 'payment.succeeded' | 'payment.failed';
  @IsObject() @ValidateNested() @Type(() => WebhookData) data!: WebhookData;
}

