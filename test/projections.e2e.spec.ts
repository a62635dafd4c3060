import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { migrations } from '../migrations/all.js';
import { LogRunner } from '../src/projections/log-runner.js';
import { projection } from '../src/projections/projection.js';
import { ProjectionsService } from '../src/projections/projections.service.js';
import { PROJECTORS } from '../src/projections/projectors.js';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { wholeLog } from './support/event-log.js';
import { openTestEventStore } from './support/event-store.js';
import { validateEnvironment } from '../src/config.js';
import { UserKeys } from '../src/write/privacy/user-keys.js';

const READ_MODEL_TABLES = [
  'catalog.venues', 'catalog.seats', 'catalog.events', 'catalog.event_seat_prices', 'catalog.seat_availability',
  'booking.bookings', 'booking.booking_items', 'payment.payments',
];

/** Every read-model row, ordered, ids and all: two dumps are equal only if the tables are. */
const dump = async (db: DataSource) => {
  const tables: Record<string, unknown[]> = {};
  for (const table of READ_MODEL_TABLES) {
    const rows: Record<string, unknown>[] = await db.query(`SELECT * FROM ${table}`);
    tables[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return tables;
};

describe('projections of the real service', () => {
  it('run once across two instances, hand over when the running one goes, and rebuild to identical tables', async () => {
    const database = await createTestDatabase('projections');
    const first = await startApp({ DATABASE_URL: database.url });
    const second = await startApp({ DATABASE_URL: database.url });
    const runsHere = (app: NestExpressApplication) => app.get(ProjectionsService).runners.map((r) => r.status.leader);
    try {
      const { eventId, seats } = await publishedEvent(first, 2, 10);
      const alice = await bearer('auth0|alice');
      for (const [i, app] of [first, second, first, second].entries()) {
        const booked = await request(app.getHttpServer()).post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seats[i].seatId] }).expect(201);
        if (i === 1) await request(app.getHttpServer()).post(`/bookings/${booked.body.id}/cancel`).set('authorization', alice).expect(200);
      }
      // Each projector runs in exactly one of the two instances.
      await new Promise((r) => setTimeout(r, 1_500));
      const [a, b] = [runsHere(first), runsHere(second)];
      expect(a.map((leader, i) => Number(leader) + Number(b[i]))).toEqual(PROJECTORS.map(() => 1));

      // Read-your-writes on either instance, wherever each projector runs: placed on one, read on the other.
      for (const [i, [placedOn, readOn]] of [[first, second], [second, first]].entries()) {
        const placed = await request(placedOn.getHttpServer()).post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seats[6 + i].seatId] }).expect(201);
        const read = await request(readOn.getHttpServer()).get(`/bookings/${placed.body.id}`).set('authorization', alice).set('x-min-position', placed.body.position).expect(200);
        expect(read.body).toMatchObject({ id: placed.body.id, status: 'PENDING' });
      }

      // The instance running the catalog projector goes; the other takes its projectors over.
      const [leader, survivor] = a[0] ? [first, second] : [second, first];
      await leader.close();
      const booked = await request(survivor.getHttpServer()).post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seats[9].seatId] }).expect(201);
      const map = await request(survivor.getHttpServer()).get(`/events/${eventId}/seat-map`).set('x-min-position', booked.body.position).expect(200);
      expect(map.body.counts).toEqual({ AVAILABLE: 14, RESERVED: 6, SOLD: 0, HELD: 0, total: 20 });
      expect(runsHere(survivor)).toEqual(PROJECTORS.map(() => true));
      await survivor.close();

      // Rebuilt from the log alone, into emptied tables: the same rows, to the last timestamp.
      const db = new DataSource({ type: 'postgres', url: database.url, migrations });
      await db.initialize();
      const store = await openTestEventStore(database.url);
      try {
        const live = await dump(db);
        expect(live['booking.bookings']).toHaveLength(7);
        await db.query(`TRUNCATE ${READ_MODEL_TABLES.join(', ')}, booking.processed_events, projections.checkpoints`);
        const head = (await wholeLog(database.url)).at(-1)!.position;
        const runners = PROJECTORS.map((projector) => new LogRunner(projection(projector, db, new UserKeys(db, validateEnvironment({ DATABASE_URL: database.url }))), store, db, database.url));
        for (const runner of runners) runner.start();
        for (const deadline = Date.now() + 20_000; runners.some((r) => r.status.position !== head) && Date.now() < deadline; ) {
          await new Promise((r) => setTimeout(r, 50));
        }
        for (const runner of runners) await runner.stop();
        expect(await dump(db)).toEqual(live);
      } finally {
        await store.close();
        await db.destroy();
      }
    } finally {
      await first.close().catch(() => undefined);
      await second.close().catch(() => undefined);
      await database.drop();
    }
  });
});
