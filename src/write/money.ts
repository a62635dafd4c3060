import cc from 'currency-codes';
import { DomainError } from './domain-error.js';

/**
 * Money is integer minor units of its currency in code and events (4550 is $45.50, and ¥4550),
 * DECIMAL(10,2) in the read models, and in the API a decimal string with the currency's decimals:
 * "45.50" for USD, "4550" for JPY. Never a float.
 */

/** What the API takes before it knows the currency (the OpenAPI document's pattern): up to 8 digits and 2 decimals. */
export const DECIMAL = /^(\d{1,8})(?:\.(\d{1,2}))?$/;

/** The read models' DECIMAL(10,2): 2 decimals, 99,999,999.99 at most. */
const COLUMN_DIGITS = 2;
const COLUMN_MAX_HUNDREDTHS = 9_999_999_999;

/**
 * ISO 4217's codes whose minor unit is "N.A.": gold, silver, platinum, palladium, the IMF's SDR,
 * bond-market and other units of account, the testing and "no currency" codes. Not money anyone
 * prices a seat in. currency-codes reads "N.A." as 0 decimals (its ingest does `parseInt(…) || 0`),
 * so its data cannot tell XAU from JPY: these are named here.
 */
const NOT_MONEY = new Set(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);

export type Currency = {
  code: string;
  /** Decimals of its minor unit: 0 (JPY) or 2 (USD, EUR). */
  digits: number;
  /** The most a price, a booking's total or a payment may be, in minor units: what DECIMAL(10,2) holds. */
  maxMinor: number;
};

const ISO_4217 = new Map(cc.data.map((entry) => [entry.code, entry]));

/** The currencies prices may be in; built once, since every projected amount looks its currency up. */
const SUPPORTED = new Map<string, Currency>(
  cc.data
    .filter(({ code, digits }) => digits <= COLUMN_DIGITS && !NOT_MONEY.has(code))
    .map(({ code, digits }) => [code, { code, digits, maxMinor: Math.floor(COLUMN_MAX_HUNDREDTHS / 10 ** (COLUMN_DIGITS - digits)) }]),
);

export const SUPPORTED_CURRENCIES: readonly string[] = [...SUPPORTED.keys()];

/** The currency of a code as ISO 4217 spells it (capitals), or a 400 saying why prices cannot be in it. */
export const currencyOf = (code: string): Currency => {
  const currency = SUPPORTED.get(code);
  if (currency) return currency;
  const iso = ISO_4217.get(code);
  if (!iso) {
    const spelled = ISO_4217.get(String(code).toUpperCase());
    throw new DomainError('invalid', spelled
      ? `currency must be an ISO 4217 code in capitals: ${spelled.code}, not ${JSON.stringify(code)}`
      : `currency must be an ISO 4217 code such as USD, EUR or JPY; ${JSON.stringify(code)} is not one`);
  }
  if (NOT_MONEY.has(code)) throw new DomainError('invalid', `${code} (${iso.currency}) is not a currency prices can be in: ISO 4217 gives it no minor unit`);
  throw new DomainError('invalid',
    `${code} (${iso.currency}) has ${iso.digits} decimals, and currencies with more than ${COLUMN_DIGITS} are not supported yet: the read models store amounts as DECIMAL(10,2)`);
};

/**
 * "45", "45.5", "45.50" or the JSON number 45.5 → 4550 in USD; "4550" or 4550 → 4550 in JPY. Refuses
 * negatives, more decimals than the currency has ("1500.5" yen), more than DECIMAL(10,2) holds, and
 * blanks around the digits.
 */
export const parseMoney = (value: string | number, currencyCode: string, field = 'price'): number => {
  const { code, digits, maxMinor } = currencyOf(currencyCode);
  const match = DECIMAL.exec(typeof value === 'number' ? String(value) : value);
  const decimals = match?.[2] ?? '';
  if (!match || decimals.length > digits) {
    const places = digits === 0 ? 'no decimals' : `at most ${digits} decimals`;
    throw new DomainError('invalid', `${field} must be an amount of ${code} from 0 to ${formatMoney(maxMinor, code)} with ${places}, got ${JSON.stringify(value)}`);
  }
  return Number(match[1]) * 10 ** digits + Number(decimals.padEnd(digits, '0'));
};

/** Minor units as a decimal string with `digits` decimals: 4550 → "45.50" (2), "4550" (0). */
const withDecimals = (minor: number, digits: number): string => {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  if (digits === 0) return `${sign}${abs}`;
  const unit = 10 ** digits;
  return `${sign}${Math.floor(abs / unit)}.${String(abs % unit).padStart(digits, '0')}`;
};

/** Minor units as the API shows them: 4550 → "45.50" in USD, "4550" in JPY. */
export const formatMoney = (minor: number, currencyCode: string): string => withDecimals(minor, currencyOf(currencyCode).digits);

/**
 * Minor units as a DECIMAL(10,2) column holds them, with its two decimals: ¥1500 → "1500.00",
 * $45.50 → "45.50". The text PostgreSQL gives back, so a replay's rows compare equal to a live projector's.
 */
export const toDecimalColumn = (minor: number, currencyCode: string): string =>
  withDecimals(minor * 10 ** (COLUMN_DIGITS - currencyOf(currencyCode).digits), COLUMN_DIGITS);

/** A DECIMAL(10,2) column's text as the API shows it in the row's currency: "1500.00" → "1500" in JPY. */
export const fromDecimalColumn = (decimal: string, currencyCode: string): string => {
  const { digits } = currencyOf(currencyCode);
  const scale = 10 ** (COLUMN_DIGITS - digits);
  const match = /^(\d+)\.(\d{2})$/.exec(decimal);
  const hundredths = match ? Number(match[1]) * 100 + Number(match[2]) : NaN;
  // Only projectors write these columns, from minor units of the row's currency: anything else is a bug, not input.
  if (!match || hundredths % scale !== 0) throw new Error(`${JSON.stringify(decimal)} is not an amount of ${currencyCode}`);
  return withDecimals(hundredths / scale, digits);
};
