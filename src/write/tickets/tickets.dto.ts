import { ApiProperty } from '@nestjs/swagger';
import { IsISO8601, IsNotEmpty, IsOptional, IsString } from 'class-validator';
import { MaxCharacters, NoControlCharacters } from '../../validation.js';
import { MAX_CODE_LENGTH } from './ticket-keys.js';

export const MAX_GATE_CHARACTERS = 100;

export class CheckInBody {
  @ApiProperty({ description: 'What the ticket\'s QR code holds: a compact JWS (EdDSA) signed with the event\'s key', maxLength: MAX_CODE_LENGTH, example: 'eyJhbGciOiJFZERTQSIs…' })
  @IsString() @IsNotEmpty() @MaxCharacters(MAX_CODE_LENGTH)
  code!: string;

  @ApiProperty({ required: false, description: 'The gate that scanned it (absent: "unnamed"); attendance counts admissions by gate', example: 'North 3', maxLength: MAX_GATE_CHARACTERS })
  @IsOptional() @IsString() @IsNotEmpty() @MaxCharacters(MAX_GATE_CHARACTERS) @NoControlCharacters()
  gate?: string;

  @ApiProperty({
    required: false,
    format: 'date-time',
    description: 'When an offline gate scanned it (absent: now). The earliest scan of a ticket admits it, whenever it is uploaded; a scan uploaded twice is recorded once. Not more than a minute ahead of the service\'s clock, nor before the ticket was issued',
  })
  @IsOptional() @IsISO8601({ strict: true, strictSeparator: true })
  scannedAt?: string;
}
