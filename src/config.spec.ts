import { ConfigurationError, validateEnvironment } from './config.js';

describe('configuration', () => {
  it('starts on local defaults with nothing set', () => {
    expect(validateEnvironment({})).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/eventix',
      EVENTSTORE_URL: undefined,
      KAFKA_BROKERS: undefined,
      BOOKING_HOLD_SECONDS: 600,
      MAX_SEATS_PER_BOOKING: 10,
      PAYMENT_PROVIDER: 'test',
    });
  });

  it('reads numbers and lists from their text', () => {
    const env = validateEnvironment({ PORT: '8080', KAFKA_BROKERS: '127.0.0.1:19092, kafka:9092', BOOKING_HOLD_SECONDS: '60', HOME: '/root' });
    expect(env).toMatchObject({ PORT: 8080, KAFKA_BROKERS: ['127.0.0.1:19092', 'kafka:9092'], BOOKING_HOLD_SECONDS: 60 });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL'],
    [{ EVENTSTORE_URL: 'http://localhost:2113' }, 'EVENTSTORE_URL'],
    [{ KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS'],
    [{ MAX_SEATS_PER_BOOKING: '0' }, 'MAX_SEATS_PER_BOOKING'],
    [{ SNAPSHOT_EVERY_EVENTS: '-1' }, 'SNAPSHOT_EVERY_EVENTS'],
    [{ AUTH_JWT_SECRET: 'short' }, 'AUTH_JWT_SECRET'],
    [{ TICKET_KEY_SECRET: 'short' }, 'TICKET_KEY_SECRET'],
    [{ OUTBOUND_WEBHOOK_KEY: 'short' }, 'OUTBOUND_WEBHOOK_KEY'],
    [{ PRIVACY_KEY_SECRET: 'short' }, 'PRIVACY_KEY_SECRET'],
    [{ WEBHOOK_TIMEOUT_SECONDS: '0' }, 'WEBHOOK_TIMEOUT_SECONDS'],
    [{ WEBHOOK_CONCURRENCY: '1.5' }, 'WEBHOOK_CONCURRENCY'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('refuses %j, naming the variable', (raw, name) => {
    expect(() => validateEnvironment(raw)).toThrow(ConfigurationError);
    expect(() => validateEnvironment(raw)).toThrow(new RegExp(`${name}:`));
  });

  it('refuses to run in production without JWKS, a webhook secret, a ticket key secret, an outbound webhook key, a privacy key secret and a real payment provider', () => {
    const error = (() => {
      try {
        validateEnvironment({ NODE_ENV: 'production' });
      } catch (e) {
        return e as ConfigurationError;
      }
    })();
    expect(error?.problems).toEqual([
      expect.stringContaining('AUTH_JWKS_URI is required in production'),
      expect.stringContaining('AUTH_ISSUER is required in production'),
      expect.stringContaining('AUTH_AUDIENCE is required in production'),
      expect.stringContaining('PAYMENT_WEBHOOK_SECRET must be set in production'),
      expect.stringContaining('TICKET_KEY_SECRET must be set in production'),
      expect.stringContaining('OUTBOUND_WEBHOOK_KEY must be set in production'),
      expect.stringContaining('PRIVACY_KEY_SECRET must be set in production'),
      expect.stringContaining('PAYMENT_PROVIDER=test is not allowed in production'),
    ]);
  });
});
