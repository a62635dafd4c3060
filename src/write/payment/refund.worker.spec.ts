import { refundBackoffSeconds } from './refund.worker.js';

describe('refund backoff', () => {
  it('doubles from the base after each refusal, with up to half of it random', () => {
    expect([1, 2, 3, 4].map((failures) => refundBackoffSeconds(failures, 1, 1))).toEqual([1, 2, 4, 8]);
    expect([1, 2, 3, 4].map((failures) => refundBackoffSeconds(failures, 1, 0))).toEqual([0.5, 1, 2, 4]);
  });
  it('waits an hour at most, however often the provider refused', () => {
    expect(refundBackoffSeconds(40, 1, 1)).toBe(3_600);
    expect(refundBackoffSeconds(1_000, 60, 0.5)).toBe(2_700);
  });
});
