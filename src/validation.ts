import { type ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';

/** Deeper than any body of this API (the deepest, the webhook's, is 3): class-transformer recurses, so 5,000 levels would blow the stack. */
export const MAX_DEPTH = 32;

/** Iterative on purpose: measuring the depth must not itself recurse. */
const deeperThan = (value: unknown, limit: number): boolean => {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
};

/**
 * The one validation of every input (HTTP bodies, parameters, queries, the webhook, Kafka's
 * payment outcomes): unknown fields refused, values converted to their declared types, and
 * absurdly nested input refused before anything walks it.
 */
export class InputValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata) {
    if (deeperThan(value, MAX_DEPTH)) throw new BadRequestException(`The ${metadata.type} is nested deeper than ${MAX_DEPTH} levels`);
    return super.transform(value, metadata);
  }
}
