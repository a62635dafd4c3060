/**
 * The event-store port: the one seam between the domain and the log. Two adapters implement it,
 * PostgreSQL (postgres.event-store.ts, the default) and EventStoreDB (esdb.event-store.ts), and
 * both pass event-store.contract.spec.ts.
 */

/** What a decider emits: plain, JSON-safe data. The adapter wraps it in an envelope. */
export type Event<Type extends string = string, Data extends object = Record<string, unknown>> = {
  type: Type;
  data: Data;
  /** Version of `data`'s shape; readers upcast older versions. Defaults to 1. */
  schemaVersion?: number;
};

/** Who and what caused an append; becomes part of every event's metadata. */
export type MessageContext = {
  correlationId: string;
  causationId: string | null;
  userId: string | null;
  /** When the events occurred; defaults to the time of the append. */
  now?: Date;
};

export type EventMetadata = {
  eventId: string;
  correlationId: string;
  causationId: string | null;
  userId: string | null;
  occurredAt: string;
  schemaVersion: number;
  /** Tamper-evident chain link: see log-hash.ts. */
  hash: string;
};

/**
 * An opaque, totally ordered position in the global log. Both adapters render it as two
 * zero-padded numbers, so comparing the strings compares the positions.
 */
export type Position = string & { readonly __brand: 'Position' };

/** Where an event is in the log, and the version of its data's shape as stored. */
type Stored = { schemaVersion: number; streamName: string; revision: bigint; position: Position };

export type Recorded<E extends Event = Event> = E & Stored & { metadata: EventMetadata };

/**
 * An event as a projection reads it: what happened, where in the log and when, without the rest of
 * its envelope (correlation, causation, user, hash chain), which no read model holds. A Recorded is one.
 */
export type Projected<E extends Event = Event> = E & Stored & { metadata: Pick<EventMetadata, 'occurredAt'> };

/** `bigint`: the revision of the stream's last event (the first event is 0n). */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export type AppendResult = { nextRevision: bigint; position: Position };

/** A stream as stored; its decider reads the events through `asDecided` (handle-command.ts), typed and upcast. */
export type StreamRead = { events: Recorded[]; revision: bigint | 'no_stream' };

export type ReadAllOptions = { after?: Position; limit: number; types?: readonly string[] };

/**
 * An event in the log that this service did not write: no Eventix envelope (its metadata empty,
 * binary or someone else's). A shared EventStoreDB holds them; every reader skips them, and only
 * `eventix verify --log` sees them, to say so.
 */
export type Foreign = { foreign: true; streamName: string; revision: bigint; position: Position; type: string };

export interface EventStore {
  /** The stream's events from `fromRevision` (inclusive) to its end, and its current revision. */
  readStream(stream: string, options?: { fromRevision?: bigint }): Promise<StreamRead>;
  /**
   * Appends atomically: all of `events` or none, only if the stream is at `expectedRevision`.
   * `context`: one for all events, or one per event (several commands decided as one batch).
   */
  appendToStream(
    stream: string,
    events: Event[],
    options: { expectedRevision: ExpectedRevision; context: MessageContext | MessageContext[] },
  ): Promise<AppendResult>;
  /**
   * The global log in order, strictly after `after`. Never skips: what it returns, nothing later precedes.
   * `types`: only events of these types (up to `limit` of them), as a rebuild of some read models needs.
   */
  readAll(options: ReadAllOptions): Promise<Recorded[]>;
  /** readAll with the foreign events it skips in their places (for `verify --log`); `types` does not apply. */
  readAllWithForeign(options: Omit<ReadAllOptions, 'types'>): Promise<(Recorded | Foreign)[]>;
  /**
   * readAll as a rebuild of read models reads it: the same events, each as `Projected`. An adapter
   * may read less of each (PostgreSQL reads only the time of each event's metadata).
   */
  readAllProjected(options: ReadAllOptions): Promise<Projected[]>;
  /** readAll, then live: every event after `after`, once, in order, until `signal` aborts. */
  subscribeToAll(options: { after?: Position; signal: AbortSignal }): AsyncIterable<Recorded>;
  /** How many events the log holds, where the store can tell cheaply (for progress bars). */
  countAll?(types?: readonly string[]): Promise<number>;
  /** Checks that the store answers (for /health); resolves with details worth showing there. */
  ping(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * The store cannot be reached, or did not answer in time (down, restarting, failing over, stalled):
 * nothing was decided, and the same request later may well succeed. HTTP answers 503 with Retry-After.
 */
export class EventStoreUnavailableError extends Error {
  readonly kind = 'event-store-unavailable';
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`The event store is unavailable: ${detail}`, options);
    this.name = 'EventStoreUnavailableError';
  }
}

/**
 * The store refuses this service (access denied, a start position it rejects): retrying the same
 * call will not help until an operator acts. A projector that meets it reports it as its fault.
 */
export class EventStoreRefusedError extends Error {
  readonly kind = 'event-store-refused';
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`The event store refuses this service: ${detail}`, options);
    this.name = 'EventStoreRefusedError';
  }
}

/** Nest injection token of the configured adapter. */
export const EVENT_STORE = Symbol('EVENT_STORE');

export class WrongExpectedRevisionError extends Error {
  readonly kind = 'wrong-expected-revision';
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`Stream ${streamName} is at revision ${actual}, expected ${expected}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

const POSITION_PART = /^\d{1,20}$/;

/** Renders the two parts of a position so that string order equals position order. */
export const toPosition = (high: bigint | string, low: bigint | string): Position =>
  `${String(high).padStart(20, '0')}:${String(low).padStart(20, '0')}` as Position;

/** Parses a client-supplied position; undefined when it is not one. */
export const parsePosition = (text: string): { high: bigint; low: bigint } | undefined => {
  const [high, low, ...rest] = text.split(':');
  if (rest.length > 0 || !POSITION_PART.test(high ?? '') || !POSITION_PART.test(low ?? '')) return undefined;
  return { high: BigInt(high), low: BigInt(low) };
};

/** A client-supplied position in canonical form, or undefined when it is not a position. */
export const normalizePosition = (text: string): Position | undefined => {
  const parsed = parsePosition(text);
  return parsed && toPosition(parsed.high, parsed.low);
};

/** Positions compare as their canonical strings (both parts zero-padded to 20 digits). */
export const comparePositions = (a: Position, b: Position): number => (a < b ? -1 : a > b ? 1 : 0);

/** The latest of some positions (a command that wrote to several streams answers with it). */
export const latestPosition = (...positions: (Position | undefined)[]): Position | undefined =>
  positions.reduce<Position | undefined>((latest, p) => (p !== undefined && (latest === undefined || p > latest) ? p : latest), undefined);
