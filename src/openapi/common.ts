import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';

/** Money in answers: DECIMAL(10,2) as a string with two decimals, never a float. */
export const AMOUNT: ApiPropertyOptions = { type: 'string', pattern: '^\\d{1,8}\\.\\d{2}$', example: '45.50', description: 'An amount with two decimals, as a string' };

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
