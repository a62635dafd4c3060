import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { EVENT_STORE, type EventStore } from '../src/write/event-store/event-store.port.js';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { wholeLog } from './support/event-log.js';
import { openTestEventStore } from './support/event-store.js';
import { eventually } from './support/eventually.js';

/**
 * A booking spans two streams: the event's seat inventory, then the booking. When the second
 * write fails, the first is compensated: no seat stays held by a booking that does not exist.
 */
describe('a booking whose second write fails', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let failBookingAppends = false;

  beforeAll(async () => {
    database = await createTestDatabase('compensation');
    app = await startApp({ DATABASE_URL: database.url, RESERVATION_GRACE_SECONDS: '1', BOOKING_EXPIRY_SWEEP_SECONDS: '1' }, (builder) =>
      builder.overrideProvider(EVENT_STORE).useFactory({
        factory: async () => {
          // The real store (the suite's), with a fault switched on for booking streams only.
          const store = await openTestEventStore(database.url);
          return new Proxy(store, {
            get: (target, property, receiver) =>
              property === 'appendToStream'
                ? (...args: Parameters<EventStore['appendToStream']>) =>
                    failBookingAppends && args[0].startsWith('booking-')
                      ? Promise.reject(new Error('injected: the booking append failed'))
                      : target.appendToStream(...args)
                : Reflect.get(target, property, receiver),
          });
        },
      }),
    );
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('releases the seats it reserved, answers 500 without internals, and the seats can be booked again', async () => {
    const { eventId, seats } = await publishedEvent(app, 1, 4);
    const seatIds = [seats[0].seatId, seats[1].seatId];
    failBookingAppends = true;
    const failed = await request(app.getHttpServer()).post('/bookings').set('authorization', await bearer('auth0|alice')).send({ eventId, seatIds }).expect(500);
    failBookingAppends = false;
    expect(failed.body).toEqual({ type: expect.any(String), title: 'Internal Server Error', status: 500, detail: expect.not.stringContaining('injected') });

    const inventory = (await wholeLog(database.url)).filter((e) => e.streamName === `seats-${eventId}`);
    expect(inventory.map((e) => [e.type, (e.data as { reason?: string }).reason])).toEqual([
      ['SeatsReserved', undefined],
      ['SeatsReleased', 'booking-not-recorded'],
    ]);
    expect((await wholeLog(database.url)).filter((e) => e.type === 'BookingPlaced')).toEqual([]);
    await request(app.getHttpServer()).post('/bookings').set('authorization', await bearer('auth0|bob')).send({ eventId, seatIds }).expect(201);
  });

  it('releases, after a grace period, seats reserved for a booking that was never recorded (a crash between the writes)', async () => {
    const { eventId, seats } = await publishedEvent(app, 1, 2);
    // What a process that died right after reserving leaves behind: the reservation, and no booking.
    const orphan = randomUUID();
    const store = await openTestEventStore(database.url);
    await store.appendToStream(`seats-${eventId}`, [{ type: 'SeatsReserved', data: { eventId, bookingId: orphan, seatIds: [seats[0].seatId] } }], {
      expectedRevision: 'no_stream',
      context: { correlationId: randomUUID(), causationId: null, userId: 'auth0|crashed' },
    });
    await store.close();
    const taken = await request(app.getHttpServer()).post('/bookings').set('authorization', await bearer('auth0|carol')).send({ eventId, seatIds: [seats[0].seatId] }).expect(409);
    expect(taken.body.conflictingSeatIds).toEqual([seats[0].seatId]);

    const released = await eventually(
      async () => (await wholeLog(database.url)).find((e) => e.type === 'SeatsReleased' && (e.data as { bookingId: string }).bookingId === orphan),
      20_000,
      'the orphaned seats to be released',
    );
    expect(released.data).toMatchObject({ reason: 'booking-not-recorded', seatIds: [seats[0].seatId] });
    expect(released.metadata).toMatchObject({ userId: 'system:hold-expiry' });
    await request(app.getHttpServer()).post('/bookings').set('authorization', await bearer('auth0|carol')).send({ eventId, seatIds: [seats[0].seatId] }).expect(201);
  });
});
