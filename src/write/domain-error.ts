/**
 * The one error a decider throws. Its kind decides the HTTP status (problem-details.filter.ts);
 * `extra` becomes fields of the problem, e.g. `conflictingSeatIds`; `extra.type` names a problem
 * type more specific than the kind (`seat-limit-reached` rather than `conflict`).
 */
export class DomainError extends Error {
  constructor(
    readonly kind: 'invalid' | 'not-found' | 'conflict' | 'not-bookable' | 'unprocessable',
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
