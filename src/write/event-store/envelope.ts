import { randomUUID } from 'node:crypto';
import { type Event, type EventMetadata, type MessageContext } from './event-store.port.js';
import { contentDigest } from './log-hash.js';

/** An event as both adapters store it, before its chain link (`hash`) is known. */
export type Envelope = {
  eventId: string;
  type: string;
  data: object;
  /** Stored metadata without `eventId` (a first-class field in both stores) and without `hash`. */
  metadata: Omit<EventMetadata, 'eventId' | 'hash'>;
  /** contentDigest of the event, the input of its chain link. */
  digest: string;
};

/** `context`: one for all events, or one per event (a batch of several commands appended at once). */
export const toEnvelopes = (streamName: string, events: Event[], contexts: MessageContext | MessageContext[]): Envelope[] => {
  if (events.length === 0) throw new Error(`Nothing to append to ${streamName}`);
  if (Array.isArray(contexts) && contexts.length !== events.length) throw new Error('One context per event, or one for all');
  const appendedAt = new Date();
  return events.map((event, i) => {
    const context = Array.isArray(contexts) ? contexts[i] : contexts;
    const occurredAt = (context.now ?? appendedAt).toISOString();
    const eventId = randomUUID();
    const metadata = {
      correlationId: context.correlationId,
      causationId: context.causationId,
      userId: context.userId,
      occurredAt,
      schemaVersion: event.schemaVersion ?? 1,
    };
    // Hash exactly what a reader will get back: the JSON form (a Date becomes its ISO string).
    const data = JSON.parse(JSON.stringify(event.data)) as object;
    const digest = contentDigest({ streamName, eventId, type: event.type, data, metadata });
    return { eventId, type: event.type, data, metadata, digest };
  });
};

/**
 * Whether a stored event is one of ours: JSON data that is an object, and metadata with the chain
 * link and time every Eventix envelope has. Anything else in the log (another application's events
 * in a shared EventStoreDB, empty or binary metadata) is foreign and skipped by every reader.
 * postgres.event-store.ts says the same in SQL (OURS_SQL).
 */
export const isEventix = (data: unknown, metadata: unknown): boolean =>
  isObject(data) && isObject(metadata) && typeof metadata.hash === 'string' && typeof metadata.occurredAt === 'string';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
