import { DomainError } from './domain-error.js';

/** `Idempotency-Key`: optional; when given, 1 to 255 visible ASCII characters. */
export const idempotencyKeyOf = (header: string | undefined): string | null => {
  if (header === undefined) return null;
  if (!/^[\x21-\x7e]{1,255}$/.test(header)) throw new DomainError('invalid', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  return header;
};
