import 'reflect-metadata';
import { DECORATORS } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy, ValidateNested } from 'class-validator';
import { IsAmount, MaxCharacters } from '../validation.js';
import { documentValidation } from './validation-schemas.js';

const documented = (target: Function, property: string) => Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, target.prototype, property);

class Line {
  @IsString() @Matches(/^[A-Z]{1,3}$/) code!: string;
  @IsAmount() price!: string | number;
}

class Order {
  @IsString() @MaxCharacters(20) name!: string;
  @IsOptional() @IsInt() @Min(1) @Max(9) quantity?: number;
  @IsArray() @ValidateNested({ each: true }) @Type(() => Line) lines!: Line[];
}

class Odd {
  @ValidateBy({ name: 'isPrime', validator: { validate: () => true } }) n!: number;
}

describe('the OpenAPI description of validated classes', () => {
  it('comes from the validation decorators: types, limits, patterns, what is required, and optional as nullable', () => {
    documentValidation([Order]);
    expect(documented(Order, 'name')).toMatchObject({ type: 'string', maxLength: 20, required: true });
    expect(documented(Order, 'quantity')).toMatchObject({ type: 'integer', minimum: 1, maximum: 9, required: false, nullable: true });
    expect(documented(Line, 'code')).toMatchObject({ type: 'string', pattern: '^[A-Z]{1,3}$', required: true });
    expect(documented(Line, 'price').oneOf).toEqual([
      expect.objectContaining({ type: 'string', pattern: '^(\\d{1,8})(?:\\.(\\d{1,2}))?$' }),
      expect.objectContaining({ type: 'number', minimum: 0, maximum: 99_999_999.99 }),
    ]);
  });

  it('documents a nested class as a reference to its own schema', () => {
    documentValidation([Order]);
    expect(documented(Order, 'lines')).toMatchObject({ type: Line, isArray: true, required: true });
  });

  it('refuses a validator it cannot describe, rather than documenting less than the service enforces', () => {
    expect(() => documentValidation([Odd])).toThrow(/Odd\.n: the validator isPrime has no JSON Schema/);
  });
});
