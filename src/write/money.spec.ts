import { DomainError } from './domain-error.js';
import { formatMoney, parseMoney } from './money.js';

describe('money', () => {
  it.each([
    ['45', 4500],
    ['45.5', 4550],
    ['45.05', 4505],
    [45.1, 4510],
    [0.1, 10],
    ['0', 0],
    ['99999999.99', 9_999_999_999],
  ])('parses %j exactly as %i minor units', (value, minor) => expect(parseMoney(value)).toBe(minor));

  it.each([['-1'], [-1], ['1.234'], [0.30000000000000004], ['1e3'], [1e21], ['100000000'], [''], ['12,50'], [' '], [' 45'], ['45.00 '], [NaN]])(
    'refuses %j',
    (value) => expect(() => parseMoney(value as string)).toThrow(DomainError),
  );

  it('formats minor units as a decimal string', () => {
    expect([0, 5, 4550, 9_999_999_999, -250].map(formatMoney)).toEqual(['0.00', '0.05', '45.50', '99999999.99', '-2.50']);
  });
});
