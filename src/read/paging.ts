import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** `?limit=&offset=` of every list: bounded, so that no request reads a whole table. */
export class Paging {
  @ApiProperty({ default: 20, description: 'At most this many items' }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100)
  limit = 20;

  @ApiProperty({ default: 0, description: 'Skip this many items first' }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(100_000)
  offset = 0;
}
