import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** `?limit=&offset=` of every list: bounded, so that no request reads a whole table. */
export class Paging {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100)
  limit = 20;

  @ApiPropertyOptional({ minimum: 0, maximum: 100_000, default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(100_000)
  offset = 0;
}
