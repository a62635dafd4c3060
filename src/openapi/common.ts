import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';

/** Money in answers: a string with its currency's decimals (two for USD, none for JPY), never a float. */
export const AMOUNT: ApiPropertyOptions = {
  type: 'string',
  pattern: '^\\d{1,8}(\\.\\d{2})?$',
  example: '45.50',
  description: 'An amount as a string, with as many decimals as its currency has: "45.50" in USD, "1500" in JPY',
};

const POSITION: ApiPropertyOptions = {
  description: "The event-store position of the command's last event (opaque); send it as X-Min-Position to read your own write",
  example: '00000000000000001234:00000000000000001234',
};

/** What every command answers with, at least. */
export class CommandAnswer {
  @ApiProperty(POSITION) position!: string;
}

/** The paging a list was read with. */
export class PageAnswer {
  @ApiProperty({ type: 'integer', example: 20 }) limit!: number;
  @ApiProperty({ type: 'integer', example: 0 }) offset!: number;
}
