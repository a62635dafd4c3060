import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

/**
 * The service's whole configuration, read from the environment and checked at start: a wrong
 * value stops the service with a message that names the variable (README "Configuration").
 */
export const DEVELOPMENT_JWT_SECRET = 'eventix-development-jwt-secret-not-for-production';
export const DEVELOPMENT_WEBHOOK_SECRET = 'eventix-development-webhook-secret-not-for-production';
export const DEVELOPMENT_TICKET_KEY_SECRET = 'eventix-development-ticket-key-secret-not-for-production';
export const DEVELOPMENT_OUTBOUND_WEBHOOK_KEY = 'eventix-development-outbound-webhook-key-not-for-production';
export const DEVELOPMENT_PRIVACY_KEY_SECRET = 'eventix-development-privacy-key-secret-not-for-production';

const BROKER = /^[A-Za-z0-9.-]+:\d{1,5}$/;

export class Environment {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Min(0) @Max(65535) @IsInt()
  PORT: number = 3000;

  @IsUrl({ protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true })
  DATABASE_URL: string = 'postgres://postgres@127.0.0.1:5432/eventix';

  @IsOptional() @Matches(/^esdb(\+discover)?:\/\/\S+$/, { message: 'EVENTSTORE_URL must be an esdb:// connection string' })
  EVENTSTORE_URL: string | undefined = undefined;

  /** EventStoreDB only: how long a read may wait for the server's next event, and an append for its answer, before 503. */
  @Min(100) @Max(120_000) @IsInt()
  EVENTSTORE_DEADLINE_MS: number = 5_000;

  /** EventStoreDB only: this deployment's streams are `<prefix>.<name>`, and only they are read (several deployments, or test runs, share one server). */
  @Matches(/^[a-z0-9_]{0,40}$/, { message: 'EVENTSTORE_STREAM_PREFIX may hold up to 40 lowercase letters, digits and "_"' })
  EVENTSTORE_STREAM_PREFIX: string = '';

  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((b) => b.trim()).filter(Boolean) : value))
  @Matches(BROKER, { each: true, message: 'KAFKA_BROKERS must be comma-separated host:port pairs' })
  KAFKA_BROKERS: string[] | undefined = undefined;

  /** How long a reservation may wait for its booking before its seats are released (a crash between the two writes). */
  @Min(1) @Max(3_600) @IsInt()
  RESERVATION_GRACE_SECONDS: number = 30;

  /** Prefix of every Kafka topic and consumer group (several deployments, or test runs, on one broker). */
  @Matches(/^[A-Za-z0-9._-]{0,100}$/, { message: 'KAFKA_TOPIC_PREFIX may hold letters, digits, ".", "_" and "-"' })
  KAFKA_TOPIC_PREFIX: string = 'eventix.';

  @IsString() @MinLength(32, { message: 'AUTH_JWT_SECRET must be at least 32 characters' })
  AUTH_JWT_SECRET: string = DEVELOPMENT_JWT_SECRET;

  @IsOptional() @IsUrl({ protocols: ['https', 'http'], require_tld: false })
  AUTH_JWKS_URI: string | undefined = undefined;

  @IsOptional() @IsString()
  AUTH_ISSUER: string | undefined = undefined;

  @IsOptional() @IsString()
  AUTH_AUDIENCE: string | undefined = undefined;

  @Min(1) @Max(86_400) @IsInt()
  BOOKING_HOLD_SECONDS: number = 600;

  /** How often the hold-expiry worker looks: a hold ends at most this long (plus projection lag) after expires_at. */
  @Min(1) @Max(3_600) @IsInt()
  BOOKING_EXPIRY_SWEEP_SECONDS: number = 5;

  @Min(1) @Max(100) @IsInt()
  MAX_SEATS_PER_BOOKING: number = 10;

  /** Seats one user may hold in one event at once, PENDING and CONFIRMED bookings together (the seat inventory enforces it). */
  @Min(1) @Max(10_000) @IsInt()
  MAX_SEATS_PER_USER_PER_EVENT: number = 10;

  /** A refund the provider refused or did not answer is asked again after this, doubling each time up to an hour (with jitter). */
  @Min(0.01) @Max(3_600) @IsNumber()
  REFUND_RETRY_BASE_SECONDS: number = 1;

  /** Booking and payment attempts a user may make per window (per instance); 0 turns the limit off. */
  @Min(0) @Max(100_000) @IsInt()
  BOOKING_RATE_LIMIT: number = 30;

  @Min(1) @Max(3_600) @IsInt()
  BOOKING_RATE_WINDOW_SECONDS: number = 60;

  /** HTTP commands running at once in this instance, the rest waiting their turn (command-admission.ts); 0: no limit. */
  @Min(0) @Max(10_000) @IsInt()
  COMMAND_CONCURRENCY: number = 0;

  /** A hot event's seat inventory is snapshotted every this many events, so that an instance that starts reads only the events after the latest; 0: no snapshots. */
  @Min(0) @Max(1_000_000) @IsInt()
  SNAPSHOT_EVERY_EVENTS: number = 1_000;

  @IsIn(['test'])
  PAYMENT_PROVIDER: string = 'test';

  @IsString() @MinLength(32, { message: 'PAYMENT_WEBHOOK_SECRET must be at least 32 characters' })
  PAYMENT_WEBHOOK_SECRET: string = DEVELOPMENT_WEBHOOK_SECRET;

  /** Encrypts the events' ticket signing keys at rest (docs/tickets.md); changing it makes the stored keys unreadable. */
  @IsString() @MinLength(32, { message: 'TICKET_KEY_SECRET must be at least 32 characters' })
  TICKET_KEY_SECRET: string = DEVELOPMENT_TICKET_KEY_SECRET;

  /** Derives each outbound webhook's signing secret (docs/integration-events.md); changing it changes every subscription's secret. */
  @IsString() @MinLength(32, { message: 'OUTBOUND_WEBHOOK_KEY must be at least 32 characters' })
  OUTBOUND_WEBHOOK_KEY: string = DEVELOPMENT_OUTBOUND_WEBHOOK_KEY;

  /**
   * Encrypts each user's key at rest and keys the lookup from a user id to its key (docs/privacy.md):
   * changing it makes every stored user id unreadable, as if every user had been erased.
   */
  @IsString() @MinLength(32, { message: 'PRIVACY_KEY_SECRET must be at least 32 characters' })
  PRIVACY_KEY_SECRET: string = DEVELOPMENT_PRIVACY_KEY_SECRET;

  /** `eventix seal`'s Ed25519 private key, PEM (PKCS#8), or a file that holds it (docs/privacy.md); needed only to seal. */
  @IsOptional() @IsString()
  SEAL_SIGNING_KEY?: string;

  @IsOptional() @IsString()
  SEAL_SIGNING_KEY_FILE?: string;

  /** An outbound webhook's request, from connecting to the end of the answer, fails after this long. */
  @Min(0.1) @Max(60) @IsNumber()
  WEBHOOK_TIMEOUT_SECONDS: number = 10;

  /** A delivery that failed is tried again after this, doubling each time up to WEBHOOK_RETRY_MAX_SECONDS (with jitter). */
  @Min(0.01) @Max(3_600) @IsNumber()
  WEBHOOK_RETRY_BASE_SECONDS: number = 1;

  @Min(0.01) @Max(86_400) @IsNumber()
  WEBHOOK_RETRY_MAX_SECONDS: number = 600;

  /** A subscription whose deliveries have failed for this long is marked failing (/health, /metrics); it goes on being tried. */
  @Min(1) @Max(2_592_000) @IsNumber()
  WEBHOOK_FAILING_AFTER_SECONDS: number = 86_400;

  /** Requests in flight to one subscription's endpoint at once (different bookings; one booking's events go one after another). 8 could not keep up with the on-sale bench (BENCHMARKS.md). */
  @Min(1) @Max(64) @IsInt()
  WEBHOOK_CONCURRENCY: number = 16;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';
}

/** Rules that span variables: what production must not run without. */
const productionProblems = (env: Environment): string[] => {
  if (env.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  for (const name of ['AUTH_JWKS_URI', 'AUTH_ISSUER', 'AUTH_AUDIENCE'] as const) {
    if (!env[name]) problems.push(`${name} is required in production (RS256 tokens through JWKS)`);
  }
  if (env.PAYMENT_WEBHOOK_SECRET === DEVELOPMENT_WEBHOOK_SECRET) {
    problems.push('PAYMENT_WEBHOOK_SECRET must be set in production (the development secret is public)');
  }
  if (env.TICKET_KEY_SECRET === DEVELOPMENT_TICKET_KEY_SECRET) {
    problems.push('TICKET_KEY_SECRET must be set in production (the development secret is public, and it guards the keys that sign tickets)');
  }
  if (env.OUTBOUND_WEBHOOK_KEY === DEVELOPMENT_OUTBOUND_WEBHOOK_KEY) {
    problems.push('OUTBOUND_WEBHOOK_KEY must be set in production (the development key is public, and every outbound webhook secret derives from it)');
  }
  if (env.PRIVACY_KEY_SECRET === DEVELOPMENT_PRIVACY_KEY_SECRET) {
    problems.push('PRIVACY_KEY_SECRET must be set in production (the development secret is public, and it guards every user\'s key)');
  }
  if (env.PAYMENT_PROVIDER === 'test') problems.push('PAYMENT_PROVIDER=test is not allowed in production');
  return problems;
};

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigurationError';
  }
}

/** For ConfigModule.forRoot({ validate }) and the CLI: unknown variables are ignored, empty ones unset. */
export const validateEnvironment = (raw: Record<string, unknown>): Environment => {
  const known = new Set(Object.keys(new Environment()));
  const given = Object.fromEntries(Object.entries(raw).filter(([name, value]) => known.has(name) && value !== ''));
  const env = plainToInstance(Environment, given, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(env, { stopAtFirstError: true });
  const problems = errors.flatMap((error) => Object.values(error.constraints ?? {}).map((message) => `${error.property}: ${message} (got ${JSON.stringify(raw[error.property])})`));
  problems.push(...productionProblems(env));
  if (problems.length > 0) throw new ConfigurationError(problems);
  return env;
};
