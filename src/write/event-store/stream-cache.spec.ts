import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '../../../test/support/database.js';
import { venueDecider } from '../catalog/venue.decider.js';
import { venueStream } from '../catalog/venue.events.js';
import type { MessageContext } from './event-store.port.js';
import { PostgresEventStore } from './postgres.event-store.js';
import { StreamCache } from './stream-cache.js';

/** Decider states kept between commands: loads that overlap share one read, later loads see later appends from anywhere. */
describe('StreamCache', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: PostgresEventStore;
  let elsewhere: PostgresEventStore; // another instance's store: its appends are not recorded in this cache
  const context: MessageContext = { correlationId: randomUUID(), causationId: null, userId: null };

  beforeAll(async () => {
    database = await createTestDatabase('stream_cache');
    store = new PostgresEventStore({ connectionString: database.url, max: 4 });
    elsewhere = new PostgresEventStore({ connectionString: database.url, max: 2 });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await elsewhere.close();
    await database.drop();
  });

  it('shares one read among loads that overlap, and reads again for a load that comes after', async () => {
    const venueId = randomUUID();
    const seat = (number: number) => ({ seatId: randomUUID(), row: 'A', number, type: 'VIP' as const });
    await elsewhere.appendToStream(venueStream(venueId), [
      { type: 'VenueCreated', data: { venueId, name: 'Hall', location: null, capacity: null } },
      { type: 'SeatsAdded', data: { venueId, seats: [seat(1)] } },
    ], { expectedRevision: 'no_stream', context });
    const cache = new StreamCache(store, venueDecider);
    const reads = jest.spyOn(store, 'readStream');

    const together = await Promise.all(Array.from({ length: 20 }, () => cache.load(venueStream(venueId))));
    expect(reads).toHaveBeenCalledTimes(1);
    expect(together.map(({ state }) => (state.status === 'None' ? 0 : state.seats.size))).toEqual(Array(20).fill(1));

    await elsewhere.appendToStream(venueStream(venueId), [{ type: 'SeatsAdded', data: { venueId, seats: [seat(2)] } }], { expectedRevision: 1n, context });
    const after = await cache.load(venueStream(venueId));
    expect(reads).toHaveBeenCalledTimes(2);
    expect(after.revision).toBe(2n);
    expect(after.state.status === 'None' ? 0 : after.state.seats.size).toBe(2);
    // Only what was appended since is read: the second read starts after revision 1.
    expect(reads.mock.calls[1][1]).toEqual({ fromRevision: 2n });
    reads.mockRestore();
  });

  it('preloads a state it does not hold in one read that the next load shares, and leaves a state it holds to the next load', async () => {
    const venueId = randomUUID();
    await elsewhere.appendToStream(venueStream(venueId), [{ type: 'VenueCreated', data: { venueId, name: 'Hall', location: null, capacity: null } }], { expectedRevision: 'no_stream', context });
    const cache = new StreamCache(store, venueDecider);
    const reads = jest.spyOn(store, 'readStream');
    cache.preload(venueStream(venueId));
    expect((await cache.load(venueStream(venueId))).revision).toBe(0n);
    expect(reads).toHaveBeenCalledTimes(1);
    cache.preload(venueStream(venueId));
    expect(reads).toHaveBeenCalledTimes(1);
    reads.mockRestore();
  });
});
