import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '../../../test/support/database.js';
import { appendForeignEvents, insertForeignRows } from '../../../test/support/event-store.js';
import { EsdbEventStore } from './esdb.event-store.js';
import { type Event, type EventStore, type MessageContext, type Position, type Recorded, WrongExpectedRevisionError } from './event-store.port.js';
import { verifyChain } from './log-hash.js';
import { PostgresEventStore } from './postgres.event-store.js';

/**
 * One contract, two adapters. The PostgreSQL leg always runs; the EventStoreDB leg runs when
 * TEST_EVENTSTORE_URL (or EVENTSTORE_URL) points at a server, or test/global-setup.ts started one in
 * a container because a Docker engine exists; otherwise it says why it was skipped.
 */
type Opened = {
  store: EventStore;
  /** Writes to `stream` what another application would: events without this service's envelope (empty, binary or foreign metadata). */
  writeForeign: (stream: string) => Promise<void>;
  cleanup: () => Promise<void>;
};
type Leg = { name: string; skipReason?: string; open: () => Promise<Opened> };

const postgresLeg: Leg = {
  name: 'PostgreSQL',
  open: async () => {
    const database = await createTestDatabase('contract');
    const store = new PostgresEventStore({ connectionString: database.url, max: 24 });
    await store.migrate();
    const writeForeign = (stream: string) => insertForeignRows(database.url, stream);
    return { store, writeForeign, cleanup: async () => (await store.close(), await database.drop()) };
  },
};

const esdbUrl = process.env.TEST_EVENTSTORE_URL;
const esdbLeg: Leg = {
  name: 'EventStoreDB',
  skipReason: esdbUrl
    ? undefined
    : (process.env.EVENTSTORE_SKIP_REASON ?? 'TEST_EVENTSTORE_URL is not set and no Docker engine was found'),
  open: async () => {
    const store = new EsdbEventStore(esdbUrl!);
    // Another application on the same server, through the client itself.
    const writeForeign = (stream: string) => appendForeignEvents(esdbUrl!, stream);
    return { store, writeForeign, cleanup: () => store.close() };
  },
};

if (esdbLeg.skipReason) {
  // Said out loud, so that a green run never hides a leg that did not run.
  console.info(`Event-store contract: EventStoreDB leg SKIPPED: ${esdbLeg.skipReason}`);
}

const context: MessageContext = { correlationId: randomUUID(), causationId: randomUUID(), userId: 'auth0|contract' };
const streamOf = (category: string) => `${category}-${randomUUID()}`;
const numbered = (n: number, from = 0): Event[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'Numbered', data: { n: from + i, label: `event ${from + i}` } }));

/** Subscribes from `after` and gathers the events of `streams` until `count` arrived (or the time runs out). */
const gather = async (store: EventStore, after: Position | undefined, streams: Set<string>, count: number, ms = 30_000) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const seen: Recorded[] = [];
  try {
    for await (const event of store.subscribeToAll({ after, signal: controller.signal })) {
      if (streams.has(event.streamName)) seen.push(event);
      if (seen.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return seen;
};

const expectOnceEachInOrder = (seen: Recorded[]) => {
  expect(new Set(seen.map((e) => e.metadata.eventId)).size).toBe(seen.length);
  for (let i = 1; i < seen.length; i++) expect(seen[i].position > seen[i - 1].position).toBe(true);
  const lastRevision = new Map<string, bigint>();
  for (const event of seen) {
    expect(event.revision).toBe((lastRevision.get(event.streamName) ?? -1n) + 1n);
    lastRevision.set(event.streamName, event.revision);
  }
};

describe.each([postgresLeg, esdbLeg])('event store contract: $name', (leg) => {
  if (leg.skipReason) {
    it.skip(`skipped: ${leg.skipReason}`, () => undefined);
    return;
  }
  let store: EventStore;
  let writeForeign: Opened['writeForeign'];
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ store, writeForeign, cleanup } = await leg.open()));
  afterAll(() => cleanup?.());

  it('appends to a new stream and reads it back with revisions and the full envelope', async () => {
    const stream = streamOf('contract');
    const first = await store.appendToStream(stream, numbered(1), { expectedRevision: 'no_stream', context });
    const second = await store.appendToStream(stream, [{ type: 'Renamed', data: { to: 'x' }, schemaVersion: 2 }], {
      expectedRevision: 0n,
      context: { ...context, now: new Date('2030-01-02T03:04:05.000Z') },
    });
    expect(first.nextRevision).toBe(0n);
    expect(second.nextRevision).toBe(1n);
    expect(second.position > first.position).toBe(true);

    const { events, revision } = await store.readStream(stream);
    expect(revision).toBe(1n);
    expect(events.map((e) => [e.type, e.revision, e.schemaVersion])).toEqual([
      ['Numbered', 0n, 1],
      ['Renamed', 1n, 2],
    ]);
    expect(events[0].data).toEqual({ n: 0, label: 'event 0' });
    expect(events[1].metadata).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      correlationId: context.correlationId,
      causationId: context.causationId,
      userId: 'auth0|contract',
      occurredAt: '2030-01-02T03:04:05.000Z',
      schemaVersion: 2,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(events[1].position).toBe(second.position);
  });

  it('appends several events atomically, with consecutive revisions', async () => {
    const stream = streamOf('contract');
    const result = await store.appendToStream(stream, numbered(5), { expectedRevision: 'any', context });
    expect(result.nextRevision).toBe(4n);
    const { events } = await store.readStream(stream);
    expect(events.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(events.map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
  });

  it('reads a missing stream as no_stream, and a stream from a revision on', async () => {
    expect(await store.readStream(streamOf('missing'))).toEqual({ events: [], revision: 'no_stream' });
    const stream = streamOf('contract');
    await store.appendToStream(stream, numbered(4), { expectedRevision: 'no_stream', context });
    const tail = await store.readStream(stream, { fromRevision: 2n });
    expect(tail.events.map((e) => e.revision)).toEqual([2n, 3n]);
    expect(tail.revision).toBe(3n);
    expect(await store.readStream(stream, { fromRevision: 9n })).toEqual({ events: [], revision: 3n });
  });

  describe('expected revision', () => {
    const conflict = async (stream: string, expectedRevision: 'no_stream' | 'stream_exists' | bigint) => {
      const error = await store.appendToStream(stream, numbered(2), { expectedRevision, context }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      return error as WrongExpectedRevisionError;
    };

    it('refuses no_stream when the stream exists, and an exact revision that is not the current one', async () => {
      const stream = streamOf('contract');
      await store.appendToStream(stream, numbered(2), { expectedRevision: 'no_stream', context });
      expect(await conflict(stream, 'no_stream')).toMatchObject({ streamName: stream, expected: 'no_stream', actual: 1n });
      expect(await conflict(stream, 0n)).toMatchObject({ expected: 0n, actual: 1n });
      expect(await conflict(stream, 7n)).toMatchObject({ expected: 7n, actual: 1n });
      expect((await store.readStream(stream)).events).toHaveLength(2); // nothing of the refused appends
    });

    it('refuses stream_exists and an exact revision on a missing stream, and writes nothing', async () => {
      const stream = streamOf('contract');
      expect(await conflict(stream, 'stream_exists')).toMatchObject({ actual: 'no_stream' });
      expect(await conflict(stream, 0n)).toMatchObject({ actual: 'no_stream' });
      expect(await store.readStream(stream)).toEqual({ events: [], revision: 'no_stream' });
    });

    it('accepts any, and stream_exists once the stream exists', async () => {
      const stream = streamOf('contract');
      await store.appendToStream(stream, numbered(1), { expectedRevision: 'any', context });
      await store.appendToStream(stream, numbered(1, 1), { expectedRevision: 'any', context });
      const result = await store.appendToStream(stream, numbered(1, 2), { expectedRevision: 'stream_exists', context });
      expect(result.nextRevision).toBe(2n);
    });
  });

  it('reads the whole log in global order from a position, never returning one event twice', async () => {
    const streams = [streamOf('alpha'), streamOf('beta'), streamOf('gamma')];
    const marker = await store.appendToStream(streamOf('marker'), numbered(1), { expectedRevision: 'any', context });
    const appended: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const stream of streams) {
        await store.appendToStream(stream, numbered(2, round * 2), { expectedRevision: 'any', context });
        appended.push(`${stream}@${round * 2}`, `${stream}@${round * 2 + 1}`);
      }
    }
    const ours = new Set(streams);
    const read: Recorded[] = [];
    let cursor = marker.position;
    // Until all ours arrived: a reader may see the newest events a moment late (never out of order).
    for (const deadline = Date.now() + 30_000; read.length < appended.length && Date.now() < deadline; ) {
      const page = await store.readAll({ after: cursor, limit: 4 });
      expect(page.length).toBeLessThanOrEqual(4);
      read.push(...page.filter((e) => ours.has(e.streamName)));
      if (page.length > 0) cursor = page[page.length - 1].position;
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(read.map((e) => `${e.streamName}@${(e.data as { n: number }).n}`)).toEqual(appended);
    expectOnceEachInOrder(read);
  });

  it('reads only the types asked for, in order and up to the limit', async () => {
    const stream = streamOf('typed');
    const marker = await store.appendToStream(streamOf('marker'), numbered(1), { expectedRevision: 'any', context });
    const kinds = ['Kept', 'Dropped', 'Kept', 'Other', 'Kept', 'Kept', 'Dropped'];
    const last = await store.appendToStream(stream, kinds.map((type, n) => ({ type, data: { n } })), { expectedRevision: 'no_stream', context });
    const read = async (limit: number, after = marker.position) => (await store.readAll({ after, limit, types: ['Kept', 'Other'] })).map((e) => [e.type, (e.data as { n: number }).n]);
    expect(await read(100)).toEqual([['Kept', 0], ['Kept', 2], ['Other', 3], ['Kept', 4], ['Kept', 5]]);
    expect(await read(2)).toEqual([['Kept', 0], ['Kept', 2]]);
    expect(await store.readAll({ after: last.position, limit: 10, types: ['Kept'] })).toEqual([]);
    // As a rebuild reads it: the same events, each with its occurrence time of all the metadata.
    const whole = await store.readAll({ after: marker.position, limit: 100, types: ['Kept', 'Other'] });
    const projected = await store.readAllProjected({ after: marker.position, limit: 100, types: ['Kept', 'Other'] });
    expect(projected).toEqual(
      whole.map(({ metadata, ...event }) => expect.objectContaining({ ...event, metadata: expect.objectContaining({ occurredAt: metadata.occurredAt }) })),
    );
  });

  it('chains each event to the previous one of its stream, so an altered event is found', async () => {
    const stream = streamOf('chain');
    await store.appendToStream(stream, numbered(3), { expectedRevision: 'no_stream', context });
    await store.appendToStream(stream, numbered(2, 3), { expectedRevision: 2n, context });
    const { events } = await store.readStream(stream);
    expect(verifyChain(stream, events)).toEqual({ intact: true, events: 5 });

    const altered = events.map((e) => (e.revision === 3n ? { ...e, data: { n: 3, label: 'forged' } } : e));
    expect(verifyChain(stream, altered)).toMatchObject({ intact: false, streamName: stream, revision: 3n });
    const dropped = events.filter((e) => e.revision !== 1n);
    expect(verifyChain(stream, dropped)).toMatchObject({ intact: false, revision: 2n });
  });

  it('reads, chains and appends around foreign events inside one of its own streams', async () => {
    const stream = streamOf('shared');
    await store.appendToStream(stream, numbered(2), { expectedRevision: 'no_stream', context });
    await writeForeign(stream);
    // The foreign events hold revisions 2 to 4: the stream's head is past them, and the next link is chained to revision 1.
    await store.appendToStream(stream, numbered(2, 2), { expectedRevision: 4n, context });
    const { events, revision } = await store.readStream(stream);
    expect(revision).toBe(6n);
    expect(events.map((e) => e.revision)).toEqual([0n, 1n, 5n, 6n]);
    expect(verifyChain(stream, events)).toEqual({ intact: true, events: 4 });

    const forged = events.map((e) => (e.revision === 5n ? { ...e, data: { n: 2, label: 'forged' } } : e));
    expect(verifyChain(stream, forged)).toMatchObject({ intact: false, revision: 5n });
    expect(verifyChain(stream, events.filter((e) => e.revision !== 1n))).toMatchObject({ intact: false, revision: 5n });
    expect(verifyChain(stream, [events[0], events[2], events[1], events[3]])).toMatchObject({ intact: false, revision: 5n });
  });

  it('lets exactly one of 20 concurrent appenders win each revision; a subscriber sees each winner once, in order', async () => {
    const stream = streamOf('race');
    const start = await store.appendToStream(streamOf('marker'), numbered(1), { expectedRevision: 'any', context });
    const subscriber = gather(store, start.position, new Set([stream]), 5 * 2);

    for (let revision = -1n; revision < 9n; revision += 2n) {
      const expectedRevision = revision < 0n ? ('no_stream' as const) : revision;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, writer) =>
          store.appendToStream(stream, [{ type: 'Claimed', data: { writer } }, { type: 'Confirmed', data: { writer } }], {
            expectedRevision,
            context,
          }),
        ),
      );
      const winners = outcomes.filter((o) => o.status === 'fulfilled');
      const losers = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(19);
      for (const loser of losers) {
        expect(loser).toBeInstanceOf(WrongExpectedRevisionError);
        expect(loser).toMatchObject({ streamName: stream, expected: expectedRevision, actual: revision + 2n });
      }
    }
    const { events } = await store.readStream(stream);
    expect(events).toHaveLength(10);
    for (let i = 0; i < 10; i += 2) expect(events[i].data).toEqual(events[i + 1].data); // pairs never interleave
    expect(verifyChain(stream, events)).toMatchObject({ intact: true });

    const seen = await subscriber;
    expect(seen.map((e) => e.metadata.eventId)).toEqual(events.map((e) => e.metadata.eventId));
  });

  it('delivers to a subscriber started from a checkpoint everything appended while it runs, once and in order', async () => {
    const before = await store.appendToStream(streamOf('marker'), numbered(1), { expectedRevision: 'any', context });
    const streams = Array.from({ length: 12 }, () => streamOf('busy'));
    const writers = 8;
    const appendsPerWriter = 25;
    let expected = 0;
    const plan = Array.from({ length: writers }, (_, w) =>
      Array.from({ length: appendsPerWriter }, (_, i) => {
        const size = 1 + ((w + i) % 3);
        expected += size;
        return { stream: streams[(w * appendsPerWriter + i) % streams.length], size };
      }),
    );
    const subscriber = gather(store, before.position, new Set(streams), expected);
    await Promise.all(
      plan.map(async (appends) => {
        for (const { stream, size } of appends) {
          await store.appendToStream(stream, numbered(size), { expectedRevision: 'any', context });
        }
      }),
    );
    const seen = await subscriber;
    expect(seen).toHaveLength(expected);
    expectOnceEachInOrder(seen);
    for (const stream of streams) {
      const { events } = await store.readStream(stream);
      expect(seen.filter((e) => e.streamName === stream).map((e) => e.metadata.eventId)).toEqual(
        events.map((e) => e.metadata.eventId),
      );
    }
  });

  it('skips events it did not write in every read, and shows them only to the reader that asks for them', async () => {
    const marker = await store.appendToStream(streamOf('marker'), numbered(1), { expectedRevision: 'any', context });
    const ours = streamOf('ours');
    const foreign = `erp-${randomUUID()}`;
    const subscriber = gather(store, marker.position, new Set([ours, foreign]), 4, 10_000);
    await store.appendToStream(ours, numbered(2), { expectedRevision: 'no_stream', context });
    await writeForeign(foreign);
    const last = await store.appendToStream(ours, numbered(2, 2), { expectedRevision: 1n, context });

    const wanted = <T extends { streamName: string }>(events: T[]) => events.filter((e) => e.streamName === ours || e.streamName === foreign);
    let read: Recorded[] = [];
    for (const deadline = Date.now() + 10_000; read.length < 4 && Date.now() < deadline; ) {
      read = wanted(await store.readAll({ after: marker.position, limit: 1_000 }));
    }
    expect(read.map((e) => `${e.streamName}@${e.revision}`)).toEqual([0, 1, 2, 3].map((r) => `${ours}@${r}`));
    // A page that the foreign events would fill still brings ours: they never stall a reader.
    const pages: Recorded[] = [];
    for (let after = marker.position, page = await store.readAll({ after, limit: 1 }); page.length > 0 && after !== last.position; page = await store.readAll({ after, limit: 1 })) {
      pages.push(...wanted(page));
      after = page[0].position;
    }
    expect(pages.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n]);
    expect(wanted(await store.readAllProjected({ after: marker.position, limit: 1_000 })).map((e) => e.streamName)).toEqual([ours, ours, ours, ours]);
    expect(await store.readAllProjected({ after: marker.position, limit: 1_000, types: ['OrderShipped', 'OrderPaid', 'Blob'] })).toEqual([]);

    const withForeign = wanted(await store.readAllWithForeign({ after: marker.position, limit: 1_000 }));
    expect(withForeign.map((e) => ('foreign' in e ? `foreign ${e.type}@${e.revision}` : `ours@${e.revision}`))).toEqual([
      'ours@0', 'ours@1', 'foreign OrderShipped@0', 'foreign Blob@1', 'foreign OrderPaid@2', 'ours@2', 'ours@3',
    ]);
    expect(withForeign[2]).toEqual({ foreign: true, streamName: foreign, revision: 0n, position: expect.any(String), type: 'OrderShipped' });

    const seen = await subscriber;
    expect(seen.map((e) => `${e.streamName}@${e.revision}`)).toEqual([0, 1, 2, 3].map((r) => `${ours}@${r}`));
    const { events } = await store.readStream(ours);
    expect(verifyChain(ours, events)).toEqual({ intact: true, events: 4 });
  });

  it('resumes a subscription after its checkpoint without repeating anything', async () => {
    const stream = streamOf('resume');
    await store.appendToStream(stream, numbered(3), { expectedRevision: 'no_stream', context });
    const { events } = await store.readStream(stream);
    const checkpoint = events[1].position;
    await store.appendToStream(stream, numbered(2, 3), { expectedRevision: 2n, context });
    const seen = await gather(store, checkpoint, new Set([stream]), 3);
    expect(seen.map((e) => e.revision)).toEqual([2n, 3n, 4n]);
  });
});

describe('EventStoreDB: deployments that share one server (EVENTSTORE_STREAM_PREFIX)', () => {
  if (esdbLeg.skipReason) {
    it.skip(`skipped: ${esdbLeg.skipReason}`, () => undefined);
    return;
  }
  const run = randomUUID().replace(/-/g, '').slice(0, 12);
  const a = new EsdbEventStore(esdbUrl!, { streamPrefix: `a${run}` });
  const b = new EsdbEventStore(esdbUrl!, { streamPrefix: `b${run}` });
  afterAll(async () => (await a.close(), await b.close()));

  it('writes, reads and follows only its own streams, under the same names as the other', async () => {
    const marker = await a.appendToStream(streamOf('marker'), numbered(1), { expectedRevision: 'any', context });
    const stream = streamOf('shared-name');
    const followA = gather(a, marker.position, new Set([stream]), 2, 10_000);
    await a.appendToStream(stream, numbered(2), { expectedRevision: 'no_stream', context });
    await b.appendToStream(stream, numbered(3, 10), { expectedRevision: 'no_stream', context }); // the same name, another deployment
    expect((await a.readStream(stream)).events.map((e) => (e.data as { n: number }).n)).toEqual([0, 1]);
    expect((await b.readStream(stream)).events.map((e) => (e.data as { n: number }).n)).toEqual([10, 11, 12]);
    const logOfA = (await a.readAll({ after: marker.position, limit: 1_000 })).filter((e) => e.streamName === stream);
    expect(logOfA.map((e) => e.revision)).toEqual([0n, 1n]);
    expect((await followA).map((e) => (e.data as { n: number }).n)).toEqual([0, 1]);
    expect(verifyChain(stream, (await b.readStream(stream)).events)).toEqual({ intact: true, events: 3 });
  });
});
