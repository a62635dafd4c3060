import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AccessDeniedError, BACKWARDS, CancelledError, DeadlineExceededError, END, EventStoreDBClient, InvalidArgumentError, NotFoundError, NotLeaderError,
  START, StreamNotFoundError, TimeoutError, UnavailableError, UnknownError, WrongExpectedVersionError, convertToCommandError, excludeSystemEvents,
  jsonEvent, streamNameFilter, type Position as EsdbPosition, type RecordedEvent, type ResolvedEvent, type StreamingRead,
} from '@eventstore/db-client';
import { isEventix, toEnvelopes } from './envelope.js';
import {
  EventStoreRefusedError, EventStoreUnavailableError, WrongExpectedRevisionError, parsePosition, toPosition,
} from './event-store.port.js';
import type {
  AppendResult, Event, EventMetadata, EventStore, ExpectedRevision, Foreign, MessageContext, Position, Projected, ReadAllOptions, Recorded, StreamRead,
} from './event-store.port.js';
import { GENESIS_HASH, chainHash } from './log-hash.js';

/** A conflict means a concurrent writer; each retry re-reads, so this only bounds a livelock. */
const MAX_APPEND_ATTEMPTS = 10;
/** Under /health's own 2 s timeout, so that a stalled server is reported as such. */
const PING_DEADLINE_MS = 1_500;
const PING_STREAM = 'healthcheck-ping';
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;
/** Streams whose tail (revision and last hash) this instance remembers, so that an append need not read it first. */
const KNOWN_TAILS = 10_000;
/** Recent events sampled to estimate the size of the log (countAll). */
const COUNT_SAMPLE = 1_000;
/** Servers before 22.6 send no position with stream reads, or u64-max (see the client notes). */
const NO_POSITION = 2n ** 64n - 1n;

export type EsdbOptions = {
  /** How long a read may wait for the server's next event, and an append for its answer (EVENTSTORE_DEADLINE_MS). */
  deadlineMs?: number;
  /** This deployment's streams are `<prefix>.<name>`; only they are read (EVENTSTORE_STREAM_PREFIX). */
  streamPrefix?: string;
};

/** Where a stream ends: its revision (foreign events included) and the hash of its last Eventix event, the next one's chain link. */
type Tail = { revision: bigint | 'no_stream'; hash: string };

/**
 * The EventStoreDB adapter: same contract as the PostgreSQL one, same envelopes and hash chain.
 * Every failure to reach the server becomes EventStoreUnavailableError (HTTP 503), every refusal
 * EventStoreRefusedError (see toStoreError); no read waits longer than the deadline for the server.
 */
export class EsdbEventStore implements EventStore {
  private readonly logger = new Logger(EsdbEventStore.name);
  private readonly client: EventStoreDBClient;
  private readonly deadlineMs: number;
  private readonly prefix: string;
  private readonly tails = new Map<string, Tail>();
  private closed = false;

  constructor(connectionString: string, { deadlineMs = 5_000, streamPrefix = '' }: EsdbOptions = {}) {
    this.client = EventStoreDBClient.connectionString(connectionString);
    this.deadlineMs = deadlineMs;
    this.prefix = streamPrefix ? `${streamPrefix}.` : '';
    if (/^esdb(\+discover)?:\/\/[^/@]+@/.test(connectionString) && /[?&]tls=false/i.test(connectionString)) {
      this.logger.warn('EVENTSTORE_URL has credentials and tls=false: the client does not send credentials without TLS');
    }
  }

  async readStream(stream: string, options: { fromRevision?: bigint } = {}): Promise<StreamRead> {
    const from = options.fromRevision ?? 0n;
    // One read answers both the events and the revision: it starts one event early, so a stream with
    // nothing new since `from` still shows where it ends.
    const start = from > 0n ? from - 1n : 0n;
    const items = await this.collect(this.client.readStream(this.physical(stream), { fromRevision: start }));
    if (items === undefined) return { events: [], revision: 'no_stream' };
    const events: Recorded[] = [];
    let revision: bigint | undefined;
    let hash: string | undefined = start === 0n ? GENESIS_HASH : undefined;
    for (const { event } of items) {
      if (!event) continue;
      revision = event.revision;
      const recorded = this.toRecorded(event);
      if (recorded) hash = recorded.metadata.hash;
      if (recorded && event.revision >= from) events.push(recorded);
    }
    // Nothing from `start` on: the caller is ahead of the stream (truncated, or recreated); ask where it ends.
    if (revision === undefined) return { events, revision: (await this.tail(stream)).revision };
    if (hash !== undefined) this.remember(stream, { revision, hash });
    return { events, revision };
  }

  async appendToStream(
    stream: string,
    events: Event[],
    { expectedRevision, context }: { expectedRevision: ExpectedRevision; context: MessageContext | MessageContext[] },
  ): Promise<AppendResult> {
    const envelopes = toEnvelopes(stream, events, context);
    for (let attempt = 1; ; attempt++) {
      // The chain needs the hash of the tail. A new stream has none, and a tail this instance read or
      // wrote is remembered; otherwise it is read. The server then checks that the tail has not moved.
      const tail = (attempt === 1 && this.knownTail(stream, expectedRevision)) || (await this.tail(stream));
      if (!expectationHolds(expectedRevision, tail.revision)) throw new WrongExpectedRevisionError(stream, expectedRevision, tail.revision);
      let hash = tail.hash;
      const stored = envelopes.map(({ eventId, type, data, metadata, digest }) => {
        hash = chainHash(hash, digest);
        const conventions = { $correlationId: metadata.correlationId, ...(metadata.causationId ? { $causationId: metadata.causationId } : {}) };
        return jsonEvent({ id: eventId, type, data: data as Record<string, unknown>, metadata: { ...metadata, ...conventions, hash } });
      });
      try {
        // The client's deadline does not cover its first call's probe of the server's features, so ours does. An append
        // that times out may still have been written: the caller answers 503, and a retry finds it (the deciders are idempotent).
        const append = this.client.appendToStream(this.physical(stream), stored, { expectedRevision: tail.revision, deadline: this.deadlineMs });
        const result = await withinDeadline(append, this.deadlineMs);
        this.remember(stream, { revision: result.nextExpectedRevision, hash });
        return { nextRevision: result.nextExpectedRevision, position: fromEsdbPosition(result.position) };
      } catch (caught) {
        const error = toStoreError(caught);
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        this.tails.delete(stream);
        // An exact expectation that the server refuses no longer holds. For 'any' and 'stream_exists' a
        // concurrent writer moved the tail: re-read, re-check and re-chain.
        const exact = expectedRevision === 'no_stream' || typeof expectedRevision === 'bigint';
        if (!exact && attempt < MAX_APPEND_ATTEMPTS) continue;
        throw new WrongExpectedRevisionError(stream, expectedRevision, error.actualVersion);
      }
    }
  }

  async readAll(options: ReadAllOptions): Promise<Recorded[]> {
    const wanted = options.types && new Set(options.types);
    return (await this.readLog(options.limit, options.after, (event) => !wanted || wanted.has(event.type))) as Recorded[];
  }

  readAllWithForeign(options: Omit<ReadAllOptions, 'types'>): Promise<(Recorded | Foreign)[]> {
    return this.readLog(options.limit, options.after, () => true, true);
  }

  /** EventStoreDB sends whole events either way. */
  readAllProjected(options: ReadAllOptions): Promise<Projected[]> {
    return this.readAll(options);
  }

  async *subscribeToAll({ after, signal }: { after?: Position; signal: AbortSignal }): AsyncGenerator<Recorded> {
    let last = after;
    let backoff = FIRST_BACKOFF_MS;
    while (!signal.aborted && !this.closed) {
      // The client never resumes a dropped subscription, so we resubscribe after the last event we
      // yielded; subscriptions exclude their start position, so nothing comes twice or goes missing.
      // The server filters: only this deployment's streams (or, without a prefix, no system events).
      const subscription = this.client.subscribeToAll({
        fromPosition: last ? toEsdbPosition(last) : START,
        filter: this.prefix ? streamNameFilter({ prefixes: [this.prefix] }) : excludeSystemEvents(),
      });
      // Errors reach us through the loop; this only stops one arriving after the loop has left from crashing the process.
      subscription.on('error', () => undefined);
      const stop = () => void subscription.unsubscribe().catch(() => undefined);
      signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const { event } of subscription) {
          const recorded = event && this.toRecorded(event);
          if (!recorded || (last !== undefined && recorded.position <= last)) continue;
          last = recorded.position;
          backoff = FIRST_BACKOFF_MS;
          yield recorded;
          if (signal.aborted) return;
        }
        if (signal.aborted || this.closed) return;
        this.logger.warn(`$all subscription ended by the server; resubscribing after ${last ?? 'the start'}`);
      } catch (caught) {
        if (signal.aborted || this.closed) return;
        const error = toStoreError(caught);
        // Only the weather is retried here; a refusal (access denied, a position the server rejects) goes to the runner as the projector's fault.
        if (!(error instanceof EventStoreUnavailableError)) throw error;
        this.logger.warn(`$all subscription dropped (${error.message}); resubscribing after ${last ?? 'the start'} in ${backoff} ms`);
      } finally {
        signal.removeEventListener('abort', stop);
        await subscription.unsubscribe().catch(() => undefined);
      }
      await sleep(backoff, undefined, { signal }).catch(() => undefined);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  /**
   * An estimate: EventStoreDB keeps no count of $all. The last position is the log's size in bytes;
   * the most recent events tell how many bytes an event takes and what share of them are ours (of `types`).
   */
  async countAll(types?: readonly string[]): Promise<number> {
    const recent = (await this.collect(this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: COUNT_SAMPLE }))) ?? [];
    const wanted = types && new Set(types);
    const counted = recent.filter(({ event }) => event && this.toRecorded(event) && (!wanted || wanted.has(event.type))).length;
    if (recent.length < COUNT_SAMPLE) return counted; // the whole log
    const newest = recent[0].event!.position.commit;
    const oldest = recent.at(-1)!.event!.position.commit;
    const bytesPerEvent = Number(newest - oldest) / (recent.length - 1) || 1;
    return Math.round((Number(newest) / bytesPerEvent) * (counted / recent.length));
  }

  async ping(): Promise<Record<string, unknown>> {
    await this.collect(this.client.readStream(PING_STREAM, { maxCount: 1 }), PING_DEADLINE_MS); // a missing stream is an answer too
    return {};
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client.dispose();
  }

  /**
   * The log in order after `after`, up to `limit` of the events `keep` accepts. Foreign events are
   * returned as such with `withForeign`, else skipped; system events ($metadata, $statsCollected,
   * projection links) never.
   */
  private async readLog(limit: number, after: Position | undefined, keep: (event: RecordedEvent) => boolean, withForeign = false): Promise<(Recorded | Foreign)[]> {
    const found: (Recorded | Foreign)[] = [];
    let from = after ? toEsdbPosition(after) : undefined;
    while (found.length < limit) {
      // One more than needed: a forward read includes the event at `from`, which we already have.
      // 6.2.1's readAll takes no server-side filter (only subscriptions do), so we filter here.
      const page = (await this.collect(this.client.readAll({ fromPosition: from ?? START, maxCount: limit + 1 }))) ?? [];
      const start = from;
      for (const { event } of page) {
        if (!event) continue;
        from = event.position;
        if ((start && samePosition(event.position, start)) || event.type.startsWith('$') || !keep(event)) continue;
        const recorded = this.toRecorded(event);
        if (recorded) found.push(recorded);
        else if (withForeign) found.push({ foreign: true, streamName: event.streamId, revision: event.revision, position: fromEsdbPosition(event.position), type: event.type });
      }
      if (page.length < limit + 1 || from === start) break;
    }
    return found.slice(0, limit);
  }

  /** Every item of a read, none waiting longer than `deadlineMs` for the server; undefined when the stream does not exist. */
  private async collect<T>(read: StreamingRead<T>, deadlineMs = this.deadlineMs): Promise<T[] | undefined> {
    const items: T[] = [];
    const iterator = read[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await withinDeadline(iterator.next(), deadlineMs);
        if (next.done) return items;
        items.push(next.value);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      if (error instanceof EventStoreUnavailableError) {
        // Stalled: stop the call, so the server's late answer goes nowhere.
        void read.cancel().catch(() => undefined);
        read.destroy();
      }
      throw toStoreError(error);
    }
  }

  /** The stream's tail as the server has it: read backwards to the last Eventix event (foreign ones after it only count). */
  private async tail(stream: string): Promise<Tail> {
    let revision: bigint | undefined;
    let before: bigint | typeof END = END;
    for (;;) {
      const page: ResolvedEvent[] | undefined = await this.collect(this.client.readStream(this.physical(stream), { direction: BACKWARDS, fromRevision: before, maxCount: 20 }));
      if (page === undefined) return { revision: 'no_stream', hash: GENESIS_HASH };
      for (const { event } of page) {
        if (!event) continue;
        revision ??= event.revision;
        const recorded = this.toRecorded(event);
        if (recorded) return { revision: revision ?? event.revision, hash: recorded.metadata.hash };
      }
      const oldest: bigint | undefined = page.at(-1)?.event?.revision;
      if (oldest === undefined || oldest === 0n) return { revision: revision ?? 'no_stream', hash: GENESIS_HASH };
      before = oldest - 1n;
    }
  }

  /** A tail that needs no read: a new stream's, or one this instance read or wrote at the expected revision. */
  private knownTail(stream: string, expected: ExpectedRevision): Tail | undefined {
    if (expected === 'no_stream') return { revision: 'no_stream', hash: GENESIS_HASH };
    const known = this.tails.get(stream);
    return known && (typeof expected !== 'bigint' || known.revision === expected) ? known : undefined;
  }

  private remember(stream: string, tail: Tail): void {
    this.tails.delete(stream); // re-inserted last: the Map's order is the order of use
    if (this.tails.size >= KNOWN_TAILS) this.tails.delete(this.tails.keys().next().value!);
    this.tails.set(stream, tail);
  }

  private physical(stream: string): string {
    return this.prefix + stream;
  }

  /** One of this deployment's events as the port shows it; undefined for a foreign one (or another prefix's). */
  private toRecorded(event: RecordedEvent): Recorded | undefined {
    if (!event.isJson || !event.streamId.startsWith(this.prefix) || !isEventix(event.data, event.metadata)) return undefined;
    // `$correlationId` and `$causationId` are EventStoreDB's copies of ours (see appendToStream): not part of the envelope.
    const { $correlationId: _c, $causationId: _k, ...metadata } = event.metadata as Omit<EventMetadata, 'eventId'> & Record<string, unknown>;
    return {
      type: event.type,
      data: event.data as Record<string, unknown>,
      schemaVersion: metadata.schemaVersion ?? 1,
      streamName: event.streamId.slice(this.prefix.length),
      revision: event.revision,
      position: fromEsdbPosition(event.position),
      metadata: { ...metadata, eventId: event.id },
    };
  }
}

/** The client's errors in the port's terms: the server out of reach (or too slow) is unavailable, a refusal is refused; anything else as it came. */
export const toStoreError = (caught: unknown): unknown => {
  if (caught instanceof EventStoreUnavailableError || caught instanceof EventStoreRefusedError) return caught;
  const error = caught instanceof Error ? convertToCommandError(caught) : caught;
  const unreachable = [UnavailableError, DeadlineExceededError, NotLeaderError, CancelledError, TimeoutError].some((type) => error instanceof type);
  // Discovery (gossip, DNS) gives up with a plain Error; grpc-js reports a restarting server as UNKNOWN "Server Is Not Ready".
  const discovery = error instanceof Error && /^Failed to discover after \d+ attempts\.$/.test(error.message);
  const notReady = error instanceof UnknownError && /not ready/i.test(error.message);
  if (unreachable || discovery || notReady) return new EventStoreUnavailableError(describeError(error), { cause: caught });
  // The server answers a start position that is not an event's with UNKNOWN "Trying to read from an invalid position." (KurrentDB PR #3963).
  const invalidPosition = error instanceof UnknownError && /invalid position/i.test(error.message);
  const denied = error instanceof UnknownError && error.code === GRPC_PERMISSION_DENIED;
  if (error instanceof AccessDeniedError || error instanceof InvalidArgumentError || error instanceof NotFoundError || invalidPosition || denied) {
    return new EventStoreRefusedError(describeError(error), { cause: caught });
  }
  return error;
};

/** grpc-js's status code, which the client does not convert to an error class of its own. */
const GRPC_PERMISSION_DENIED = 7;

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.constructor.name}${error.message ? `: ${error.message}` : ''}` : String(error);

/** The promise, or EventStoreUnavailableError when it has not settled within `ms`. */
const withinDeadline = <T>(promise: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EventStoreUnavailableError(`EventStoreDB did not answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined); // settles after the deadline, when nobody listens any more
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

const expectationHolds = (expected: ExpectedRevision, actual: bigint | 'no_stream'): boolean =>
  expected === 'any' || (expected === 'stream_exists' ? actual !== 'no_stream' : expected === actual);

/** An unknown position (old servers on stream reads) becomes the start of the log: waiting for it never blocks. */
const fromEsdbPosition = (position?: EsdbPosition): Position =>
  position && position.commit !== NO_POSITION ? toPosition(position.commit, position.prepare) : toPosition(0n, 0n);

const toEsdbPosition = (position: Position): EsdbPosition => {
  const parsed = parsePosition(position);
  if (!parsed) throw new Error(`Not an EventStoreDB position: ${position}`);
  return { commit: parsed.high, prepare: parsed.low };
};

const samePosition = (a: EsdbPosition, b: EsdbPosition): boolean => a.commit === b.commit && a.prepare === b.prepare;
