import { createHash } from 'node:crypto';

/**
 * The tamper-evident log. Every event's metadata carries `hash`, a SHA-256 chained to the previous
 * event of the same stream, so that changing, removing or reordering a stored event breaks the
 * chain from that revision on. docs/audit-log.md shows how an auditor recomputes it:
 *
 *   digest(e)   = sha256_hex(canonical_json({ streamName, eventId, type, data, metadata }))
 *                 where metadata is the stored metadata without `hash`, `eventId` and the keys
 *                 that start with `$` (EventStoreDB's `$correlationId`/`$causationId`, copies of
 *                 correlationId and causationId that the server's own projections read)
 *   hash(rev 0) = sha256_hex("" + digest(e0))
 *   hash(rev n) = sha256_hex(hash(rev n-1) + digest(en))
 *
 * canonical_json: object keys sorted by UTF-16 code units, no whitespace, strings and numbers as
 * JSON.stringify writes them, keys whose value is undefined left out.
 */
export const GENESIS_HASH = '';

export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
};

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export type HashedContent = {
  streamName: string;
  eventId: string;
  type: string;
  data: unknown;
  /** Metadata as stored, without `hash` and `eventId`. */
  metadata: Record<string, unknown>;
};

export const contentDigest = (content: HashedContent): string => sha256Hex(canonicalJson(content));

export const chainHash = (previousHash: string, digest: string): string => sha256Hex(previousHash + digest);

export type ChainCheck =
  | { intact: true; events: number }
  | { intact: false; streamName: string; revision: bigint; expected: string; found: string };

type Linked = { revision: bigint; type: string; data: unknown; metadata: { eventId: string; hash: string } };

/** The hash an event must carry, given the hash of the event before it in its stream. */
export const expectedLink = (streamName: string, previousHash: string, event: Linked): string => {
  const { eventId, hash: _stored, ...rest } = event.metadata;
  const metadata = Object.fromEntries(Object.entries(rest).filter(([key]) => !key.startsWith('$')));
  return chainHash(previousHash, contentDigest({ streamName, eventId, type: event.type, data: event.data, metadata }));
};

/**
 * Recomputes a stream's chain from its first event; names the first event whose link does not hold.
 * The chain links Eventix's events only: a foreign one (another writer on a shared store) may hold a
 * revision between two of them, so revisions must rise but need not be consecutive. A missing event
 * still breaks the chain: the next one's hash names its predecessor's.
 */
export const verifyChain = (streamName: string, events: Iterable<Linked>): ChainCheck => {
  let previous = GENESIS_HASH;
  let count = 0;
  let after = -1n;
  for (const event of events) {
    const expected = expectedLink(streamName, previous, event);
    if (event.revision <= after || event.metadata.hash !== expected) {
      return { intact: false, streamName, revision: event.revision, expected, found: event.metadata.hash };
    }
    previous = event.metadata.hash;
    after = event.revision;
    count++;
  }
  return { intact: true, events: count };
};
