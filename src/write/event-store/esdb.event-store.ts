import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BACKWARDS, CancelledError, DeadlineExceededError, END, EventStoreDBClient, NotLeaderError, START, StreamNotFoundError,
  TimeoutError, UnavailableError, UnknownError, WrongExpectedVersionError, excludeSystemEvents, jsonEvent,
  type Position as EsdbPosition, type RecordedEvent, type StreamingRead,
} from '@eventstore/db-client';
import { toEnvelopes } from './envelope.js';
import { WrongExpectedRevisionError, parsePosition, toPosition } from './event-store.port.js';
import type {
  AppendResult, Event, EventMetadata, EventStore, ExpectedRevision, MessageContext, Position, Projected, ReadAllOptions, Recorded, StreamRead,
} from './event-store.port.js';
import { GENESIS_HASH, chainHash } from './log-hash.js';

/** A conflict means a concurrent writer; each retry re-reads, so this only bounds a livelock. */
const MAX_APPEND_ATTEMPTS = 10;
const PING_TIMEOUT_MS = 2_000;
const PING_STREAM = 'healthcheck-ping';
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;
/** Servers before 22.6 send no position with stream reads, or u64-max (see the client notes). */
const NO_POSITION = 2n ** 64n - 1n;

/** The EventStoreDB adapter: same contract as the PostgreSQL one, same envelopes and hash chain. */
export class EsdbEventStore implements EventStore {
  private readonly logger = new Logger(EsdbEventStore.name);
  private readonly client: EventStoreDBClient;
  private closed = false;

  constructor(connectionString: string) {
    this.client = EventStoreDBClient.connectionString(connectionString);
  }

  async readStream(stream: string, options: { fromRevision?: bigint } = {}): Promise<StreamRead> {
    const events = await drain(this.client.readStream(stream, { fromRevision: options.fromRevision ?? 0n }));
    if (events === undefined) return { events: [], revision: 'no_stream' };
    const recorded = events.flatMap(({ event }) => (event ? [toRecorded(event)] : []));
    // Reading from past the end gives no events, but the stream still has a revision.
    const revision = recorded.at(-1)?.revision ?? (await this.lastEvent(stream))?.revision ?? 'no_stream';
    return { events: recorded, revision };
  }

  async appendToStream(
    stream: string,
    events: Event[],
    { expectedRevision, context }: { expectedRevision: ExpectedRevision; context: MessageContext | MessageContext[] },
  ): Promise<AppendResult> {
    const envelopes = toEnvelopes(stream, events, context);
    for (let attempt = 1; ; attempt++) {
      // The chain needs the hash of the current tail, so we check the caller's expectation ourselves
      // and let the server check only that the tail has not moved since we read it.
      const tail = await this.lastEvent(stream);
      const actual = tail?.revision ?? 'no_stream';
      if (!expectationHolds(expectedRevision, actual)) throw new WrongExpectedRevisionError(stream, expectedRevision, actual);
      let previousHash = tail ? hashOf(tail) : GENESIS_HASH;
      const stored = envelopes.map(({ eventId, type, data, metadata, digest }) => {
        previousHash = chainHash(previousHash, digest);
        return jsonEvent({ id: eventId, type, data: data as Record<string, unknown>, metadata: { ...metadata, hash: previousHash } });
      });
      try {
        const result = await this.client.appendToStream(stream, stored, { expectedRevision: actual });
        return { nextRevision: result.nextExpectedRevision, position: fromEsdbPosition(result.position) };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        // A concurrent writer moved the tail: re-read, re-check the caller's expectation (for 'any' and
        // 'stream_exists' it may still hold) and re-chain.
        if (attempt < MAX_APPEND_ATTEMPTS) continue;
        throw new WrongExpectedRevisionError(stream, expectedRevision, error.actualVersion);
      }
    }
  }

  async readAll({ after, limit, types }: ReadAllOptions): Promise<Recorded[]> {
    // 6.2.1's readAll takes no server-side filter (only subscriptions do): other types are dropped here.
    const wanted = types && new Set(types);
    const found: Recorded[] = [];
    let from = after ? toEsdbPosition(after) : undefined;
    while (found.length < limit) {
      // One more than needed: a forward read includes the event at `from`, which we already have.
      const page = (await drain(this.client.readAll({ fromPosition: from ?? START, maxCount: limit + 1 }))) ?? [];
      const start = from;
      for (const { event } of page) {
        if (!event) continue;
        from = event.position;
        // System events ($metadata, $statsCollected, projection links) are not ours to return.
        if ((start && samePosition(event.position, start)) || event.type.startsWith('$') || (wanted && !wanted.has(event.type))) continue;
        found.push(toRecorded(event));
      }
      if (page.length < limit + 1 || from === start) break;
    }
    return found.slice(0, limit);
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
      const subscription = this.client.subscribeToAll({
        fromPosition: last ? toEsdbPosition(last) : START,
        filter: excludeSystemEvents(),
      });
      // Errors reach us through the loop; this only stops one arriving after the loop has left from crashing the process.
      subscription.on('error', () => undefined);
      const stop = () => void subscription.unsubscribe().catch(() => undefined);
      signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const { event } of subscription) {
          if (!event || event.type.startsWith('$')) continue;
          const recorded = toRecorded(event);
          if (last !== undefined && recorded.position <= last) continue;
          last = recorded.position;
          backoff = FIRST_BACKOFF_MS;
          yield recorded;
          if (signal.aborted) return;
        }
        if (signal.aborted || this.closed) return;
        this.logger.warn(`$all subscription ended by the server; resubscribing after ${last ?? 'the start'}`);
      } catch (error) {
        if (signal.aborted || this.closed) return;
        if (!isTransient(error)) throw error;
        this.logger.warn(`$all subscription dropped (${reason(error)}); resubscribing after ${last ?? 'the start'} in ${backoff} ms`);
      } finally {
        signal.removeEventListener('abort', stop);
        await subscription.unsubscribe().catch(() => undefined);
      }
      await sleep(backoff, undefined, { signal }).catch(() => undefined);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  async ping(): Promise<Record<string, unknown>> {
    // Reads ignore the client's `deadline` option (it sends them with an infinite deadline), so time out here.
    const read = this.client.readStream(PING_STREAM, { maxCount: 1 });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void read.cancel().catch(() => undefined);
        reject(new Error(`EventStoreDB did not answer within ${PING_TIMEOUT_MS} ms`));
      }, PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([drain(read), timeout]); // a missing stream is an answer too
      return {};
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client.dispose();
  }

  private async lastEvent(stream: string): Promise<RecordedEvent | undefined> {
    const events = await drain(this.client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }));
    return events?.[0]?.event;
  }
}

/** All items of a read; undefined when the stream does not exist (the client throws that on the first step). */
const drain = async <T>(read: StreamingRead<T>): Promise<T[] | undefined> => {
  const items: T[] = [];
  try {
    for await (const item of read) items.push(item);
  } catch (error) {
    if (error instanceof StreamNotFoundError) return undefined;
    throw error;
  }
  return items;
};

const expectationHolds = (expected: ExpectedRevision, actual: bigint | 'no_stream'): boolean =>
  expected === 'any' || (expected === 'stream_exists' ? actual !== 'no_stream' : expected === actual);

const hashOf = (event: RecordedEvent): string => {
  const hash = (event.metadata as Partial<EventMetadata> | undefined)?.hash;
  if (typeof hash !== 'string') throw new Error(`${event.streamId}@${event.revision} has no hash; its chain cannot be extended`);
  return hash;
};

const toRecorded = (event: RecordedEvent): Recorded => {
  const metadata = event.metadata as Omit<EventMetadata, 'eventId'>;
  return {
    type: event.type,
    data: event.data as Record<string, unknown>,
    schemaVersion: metadata.schemaVersion ?? 1,
    streamName: event.streamId,
    revision: event.revision,
    position: fromEsdbPosition(event.position),
    metadata: { ...metadata, eventId: event.id },
  };
};

/** An unknown position (old servers on stream reads) becomes the start of the log: waiting for it never blocks. */
const fromEsdbPosition = (position?: EsdbPosition): Position =>
  position && position.commit !== NO_POSITION ? toPosition(position.commit, position.prepare) : toPosition(0n, 0n);

const toEsdbPosition = (position: Position): EsdbPosition => {
  const parsed = parsePosition(position);
  if (!parsed) throw new Error(`Not an EventStoreDB position: ${position}`);
  return { commit: parsed.high, prepare: parsed.low };
};

const samePosition = (a: EsdbPosition, b: EsdbPosition): boolean => a.commit === b.commit && a.prepare === b.prepare;

/** Connection trouble the next subscription can recover from; anything else (access denied, bugs) is the caller's. */
const isTransient = (error: unknown): boolean =>
  [UnavailableError, CancelledError, DeadlineExceededError, TimeoutError, NotLeaderError, UnknownError].some(
    (type) => error instanceof type,
  );

const reason = (error: unknown): string =>
  error instanceof Error ? `${error.constructor.name}: ${error.message || 'no message'}` : String(error);
