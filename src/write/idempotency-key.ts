import { DomainError } from './domain-error.js';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** `Idempotency-Key`: optional; when given, 1 to 255 visible ASCII characters. */
export const idempotencyKeyOf = (header: string | undefined): string | null => {
  if (header === undefined) return null;
  if (!KEY.test(header)) throw new DomainError('invalid', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  return header;
};

/** The Idempotency-Key header of the commands that take one. */
export const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  required: false,
  description: 'A key of your choice (1 to 255 visible ASCII characters): the same key and body return the first answer again; another body, 422',
  schema: { type: 'string', pattern: KEY.source, example: 'order-8271-attempt-1' },
};
