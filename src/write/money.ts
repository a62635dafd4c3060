import { DomainError } from './domain-error.js';

/**
 * Money is integer minor units (cents) in code and events, DECIMAL(10,2) in the database, and a
 * decimal string such as "45.00" in the API: never a float.
 */
export const DECIMAL = /^(\d{1,8})(?:\.(\d{1,2}))?$/;
/** The most DECIMAL(10,2) holds, 99,999,999.99: a price, and a booking's or payment's total. */
export const MAX_AMOUNT_MINOR = 9_999_999_999;

/**
 * "45", "45.5", "45.50" or the JSON number 45.5 → 4550. Refuses negatives, more than 2 decimals,
 * more than DECIMAL(10,2) holds, and blanks around the digits (the OpenAPI document's pattern is this one).
 */
export const parseMoney = (value: string | number, field = 'price'): number => {
  const text = typeof value === 'number' ? String(value) : value;
  const match = DECIMAL.exec(text);
  if (!match) throw new DomainError('invalid', `${field} must be an amount from 0.00 to 99999999.99 with at most 2 decimals, got ${JSON.stringify(value)}`);
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
};

export const formatMoney = (minor: number): string => {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
};
