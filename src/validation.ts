import { type ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';
import { buildMessage, Matches, ValidateBy, type ValidationOptions } from 'class-validator';
import { DECIMAL } from './write/money.js';

/** Deeper than any body of this API (the deepest, the webhook's, is 3): class-transformer recurses, so 5,000 levels would blow the stack. */
export const MAX_DEPTH = 32;

/**
 * Text PostgreSQL cannot store, in jsonb or text: a lone UTF-16 surrogate (not Unicode at all) or a
 * NUL character. Left in, it reaches the append and fails there, as a 500.
 */
export const unstorable = (text: string): boolean => !(text as string & { isWellFormed(): boolean }).isWellFormed() || text.includes('\u0000');

/** Characters as PostgreSQL counts them in a varchar(n): code points. */
export const characters = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

/**
 * No control characters (C0 and DEL): names shown on a plan, a ticket or a gate's screen. A @Matches,
 * so that the OpenAPI document states the same pattern.
 */
export const NoControlCharacters = (): PropertyDecorator => Matches(/^[^\u0000-\u001f\u007f]*$/, { message: '$property must not hold control characters' });

/**
 * At most `max` characters, as the varchar(max) column that stores the value counts them.
 * class-validator's MaxLength does not count variation selectors (U+FE0E, U+FE0F): 255 '❤️' passed
 * it as 255 characters and were 510 in the column, where the projector could not store them.
 */
export const MaxCharacters = (max: number, options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'maxCharacters',
      constraints: [max],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && characters(value) <= max,
        defaultMessage: buildMessage((each) => `${each}$property must be at most $constraint1 characters`, options),
      },
    },
    options,
  );

/**
 * An amount of money as the API takes it: a decimal string ("45.00") or a JSON number (45.5), from
 * 0 to 99999999.99 with at most 2 decimals. Where its currency is known, money.ts's parseMoney
 * then holds it to that currency's decimals (none for JPY).
 */
export const IsAmount = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isAmount',
      validator: {
        validate: (value: unknown) => (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) && DECIMAL.test(String(value)),
        defaultMessage: buildMessage((each) => `${each}$property must be an amount from 0.00 to 99999999.99 with at most 2 decimals`, options),
      },
    },
    options,
  );

/** What is wrong with the input as a whole, if anything. Iterative on purpose: walking it must not itself recurse. */
const problemOf = (value: unknown, depthLimit: number): 'depth' | 'text' | undefined => {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node === 'string' && unstorable(node)) return 'text';
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= depthLimit) return 'depth';
    for (const [key, child] of Object.entries(node)) {
      if (unstorable(key)) return 'text';
      stack.push([child, depth + 1]);
    }
  }
  return undefined;
};

/**
 * The one validation of every input (HTTP bodies, parameters, queries, the webhook, Kafka's
 * payment outcomes): unknown fields refused, values converted to their declared types, and
 * absurdly nested input, or text no database could store, refused before anything walks it.
 */
export class InputValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata) {
    const problem = problemOf(value, MAX_DEPTH);
    if (problem === 'depth') throw new BadRequestException(`The ${metadata.type} is nested deeper than ${MAX_DEPTH} levels`);
    if (problem === 'text') throw new BadRequestException(`The ${metadata.type} holds text that cannot be stored (a lone UTF-16 surrogate or a NUL character)`);
    return super.transform(value, metadata);
  }
}
