import { jest } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { EVENT_STORE, type EventStore } from '../src/write/event-store/event-store.port.js';
import { seatInventoryStream } from '../src/write/seat-inventory/seat-inventory.events.js';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { eventually } from './support/eventually.js';

/**
 * Snapshots through the service as it is wired: one instance sells seats and snapshots the
 * inventory; a second instance, started afterwards on the same database, begins at the snapshot
 * and knows every seat the first one sold.
 */
describe('seat inventory snapshots, across instances', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const apps: NestExpressApplication[] = [];
  const start = async () => {
    const app = await startApp({ DATABASE_URL: database.url, SNAPSHOT_EVERY_EVENTS: '3' });
    apps.push(app);
    return app;
  };
  const book = (app: NestExpressApplication, user: string, eventId: string, seatIds: string[]) =>
    bearer(user).then((auth) => request(app.getHttpServer()).post('/bookings').set('authorization', auth).send({ eventId, seatIds }));

  beforeAll(async () => {
    database = await createTestDatabase('snapshots_e2e');
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database?.drop();
  });

  it('starts a second instance at the first one\'s snapshot, with every seat it sold', async () => {
    const first = await start();
    const { eventId, seats } = await publishedEvent(first, 1, 10);
    for (const [user, seat] of [['auth0|alice', 0], ['auth0|bob', 1], ['auth0|carol', 2]] as const) {
      expect((await book(first, user, eventId, [seats[seat].seatId])).status).toBe(201);
    }
    const db = first.get(DataSource);
    await eventually(
      async () => (await db.query(`SELECT revision FROM snapshots.snapshots WHERE stream_name = $1`, [seatInventoryStream(eventId)]))[0]?.revision === '2',
      10_000,
      'the snapshot after three reservations',
    );

    const second = await start();
    const reads = jest.spyOn(second.get<EventStore>(EVENT_STORE), 'readStream');
    const taken = await book(second, 'auth0|dave', eventId, [seats[1].seatId, seats[3].seatId]);
    expect(taken.status).toBe(409);
    expect(taken.body.conflictingSeatIds).toEqual([seats[1].seatId]);
    // From the snapshot's last event on, never from the start (a later read, if any, reads only what is new).
    const inventoryReads = reads.mock.calls.filter(([stream]) => stream === seatInventoryStream(eventId)).map(([, options]) => options?.fromRevision);
    expect(inventoryReads[0]).toBe(2n);
    expect(inventoryReads.filter((fromRevision) => fromRevision === undefined || fromRevision < 2n)).toEqual([]);
    expect((await book(second, 'auth0|dave', eventId, [seats[3].seatId])).status).toBe(201);
  });
});
