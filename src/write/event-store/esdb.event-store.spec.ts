import { Metadata, status } from '@grpc/grpc-js';
import {
  AccessDeniedError, CancelledError, DeadlineExceededError, NotLeaderError, StreamDeletedError, UnavailableError, UnknownError, WrongExpectedVersionError,
} from '@eventstore/db-client';
import { createServer, type Server, type Socket } from 'node:net';
import { EsdbEventStore, toStoreError } from './esdb.event-store.js';
import { EventStoreRefusedError, EventStoreUnavailableError } from './event-store.port.js';

/** What grpc-js rejects with: an Error with a numeric status code, details and metadata (the client converts these). */
const serviceError = (code: status, details: string, entries: Record<string, string> = {}) => {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
};

describe('EventStoreDB errors in the port’s terms', () => {
  it.each([
    ['UnavailableError', new UnavailableError(serviceError(status.UNAVAILABLE, 'No connection established'))],
    ['DeadlineExceededError', new DeadlineExceededError(serviceError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'))],
    ['CancelledError', new CancelledError(serviceError(status.CANCELLED, 'Cancelled on server'))],
    ['NotLeaderError', new NotLeaderError(serviceError(status.NOT_FOUND, 'Leader info available', { exception: 'not-leader', 'leader-endpoint-host': 'node2', 'leader-endpoint-port': '2113' }))],
    ['the discovery failure', new Error('Failed to discover after 10 attempts.')],
    ['a raw grpc UNAVAILABLE (the first append while the server is down)', serviceError(status.UNAVAILABLE, 'No connection established')],
    ['a raw grpc NOT_LEADER', serviceError(status.NOT_FOUND, 'Leader info available', { exception: 'not-leader', 'leader-endpoint-host': 'node2', 'leader-endpoint-port': '2113' })],
    ['a server that is not ready yet', new UnknownError(serviceError(status.UNKNOWN, 'Server Is Not Ready'))],
  ])('%s is "the store is unavailable": 503 and a retry, never a crash', (_, error) => {
    const mapped = toStoreError(error);
    expect(mapped).toBeInstanceOf(EventStoreUnavailableError);
    expect((mapped as Error).cause).toBe(error);
  });

  it.each([
    ['AccessDeniedError', new AccessDeniedError(serviceError(status.PERMISSION_DENIED, 'Access denied', { exception: 'access-denied' }))],
    ['a raw grpc UNAUTHENTICATED', serviceError(status.UNAUTHENTICATED, 'Bad credentials')],
    ['a raw grpc PERMISSION_DENIED', serviceError(status.PERMISSION_DENIED, 'Access denied')],
    ['a start position the server rejects (UNKNOWN, "Trying to read from an invalid position.")', new UnknownError(serviceError(status.UNKNOWN, 'Trying to read from an invalid position.'))],
  ])('%s is a refusal: an operator must act, not a retry', (_, error) => {
    expect(toStoreError(error)).toBeInstanceOf(EventStoreRefusedError);
  });

  it('leaves what is neither as it is: a conflict, a deleted stream, an unknown failure, a bug', () => {
    const conflict = new WrongExpectedVersionError(undefined, { streamName: 's', current: 3n, expected: 2n });
    expect(toStoreError(conflict)).toBe(conflict);
    const deleted = new StreamDeletedError(serviceError(status.FAILED_PRECONDITION, 'deleted', { exception: 'stream-deleted', 'stream-name': 's' }) as never);
    expect(toStoreError(deleted)).toBe(deleted);
    expect(toStoreError(new UnknownError(serviceError(status.UNKNOWN, 'Something odd')))).toBeInstanceOf(UnknownError);
    const bug = new TypeError('x is undefined');
    expect(toStoreError(bug)).toBe(bug);
  });
});

describe('EventStoreDB adapter against a server that is not there', () => {
  /** A TCP port that accepts connections and never says a word: a stalled server (a hung node, a black-holing balancer). */
  let silent: Server;
  const sockets: Socket[] = [];
  let silentUrl: string;
  /** A port nothing listens on. */
  let closedUrl: string;

  beforeAll(async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `esdb://127.0.0.1:${(silent.address() as { port: number }).port}?tls=false`;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedUrl = `esdb://127.0.0.1:${(closed.address() as { port: number }).port}?tls=false`;
    await new Promise((resolve) => closed.close(resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  const context = { correlationId: 'c', causationId: null, userId: null };
  const within = async (ms: number, work: () => Promise<unknown>) => {
    const started = Date.now();
    const error = await work().then(() => undefined, (e: unknown) => e);
    return { error, elapsed: Date.now() - started, ms };
  };

  it('turns a stalled server into "unavailable" after the deadline, for stream loads, tail reads, log reads and pings', async () => {
    const store = new EsdbEventStore(silentUrl, { deadlineMs: 300 });
    try {
      for (const work of [
        () => store.readStream('booking-1'),
        () => store.readStream('booking-1', { fromRevision: 5n }),
        () => store.appendToStream('booking-1', [{ type: 'X', data: {} }], { expectedRevision: 'any', context }), // reads the tail first
        () => store.appendToStream('booking-2', [{ type: 'X', data: {} }], { expectedRevision: 'no_stream', context }), // no read: the append's own deadline
        () => store.readAll({ limit: 10 }),
        () => store.ping(),
      ]) {
        const { error, elapsed } = await within(300, work);
        expect(error).toBeInstanceOf(EventStoreUnavailableError);
        expect((error as Error).message).toMatch(/did not answer within (300|1500) ms/);
        expect(elapsed).toBeLessThan(10_000); // not hung: the client's own deadline for reads is infinite
      }
    } finally {
      await store.close();
    }
  });

  it('turns a refused connection into "unavailable", appends included', async () => {
    const store = new EsdbEventStore(closedUrl, { deadlineMs: 2_000 });
    try {
      expect(await store.readStream('booking-1').catch((e: unknown) => e)).toBeInstanceOf(EventStoreUnavailableError);
      // A new stream needs no tail read: this goes to the append itself (where the client's probe gives a raw grpc error).
      const append = await store.appendToStream('booking-2', [{ type: 'X', data: {} }], { expectedRevision: 'no_stream', context }).catch((e: unknown) => e);
      expect(append).toBeInstanceOf(EventStoreUnavailableError);
    } finally {
      await store.close();
    }
  });
});
