import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent, type SeatOfVenue } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { doubleBookedSeats, wholeLog } from './support/event-log.js';

/**
 * The invariant under contention: many clients racing for overlapping seats of one event, on one
 * instance and on two instances sharing a database. Checked from the event store, not a read model.
 */
const CLIENTS = 100;

/** A deterministic generator (mulberry32), so that a failing run can be repeated. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** Each client wants 1 to 4 seats from the first rows: most requests overlap with others. */
const wishes = (seats: SeatOfVenue[], seed: number) => {
  const next = random(seed);
  const hot = seats.slice(0, 40);
  return Array.from({ length: CLIENTS }, () => {
    const wanted = new Set<string>();
    const count = 1 + Math.floor(next() * 4);
    while (wanted.size < count) wanted.add(hot[Math.floor(next() * hot.length)].seatId);
    return [...wanted];
  });
};

const race = async (apps: NestExpressApplication[], eventId: string, seatSets: string[][]) =>
  Promise.all(
    seatSets.map(async (seatIds, i) => {
      const token = await bearer(`auth0|racer-${i}`);
      const response = await request(apps[i % apps.length].getHttpServer()).post('/bookings').set('authorization', token).send({ eventId, seatIds });
      return { seatIds, status: response.status, body: response.body };
    }),
  );

const checkOutcome = async (databaseUrl: string, outcomes: Awaited<ReturnType<typeof race>>) => {
  expect(outcomes.filter((o) => o.status !== 201 && o.status !== 409)).toEqual([]);
  const winners = outcomes.filter((o) => o.status === 201);
  const losers = outcomes.filter((o) => o.status === 409);
  expect(winners.length).toBeGreaterThan(5);
  expect(losers.length).toBeGreaterThan(5);

  const log = await wholeLog(databaseUrl);
  expect(doubleBookedSeats(log)).toEqual(new Map());
  // Every winner's booking is in the log with its seats; no seat is held by a booking that does not exist.
  const placed = new Map(log.filter((e) => e.type === 'BookingPlaced').map((e) => [(e.data as { bookingId: string }).bookingId, e]));
  for (const winner of winners) expect(placed.has(winner.body.id)).toBe(true);
  const reservedBy = new Map<string, string>();
  for (const event of log.filter((e) => e.type === 'SeatsReserved')) {
    const { bookingId, seatIds } = event.data as { bookingId: string; seatIds: string[] };
    expect(placed.has(bookingId)).toBe(true);
    for (const seatId of seatIds) reservedBy.set(seatId, bookingId);
  }
  expect(reservedBy.size).toBe(winners.reduce((sum, w) => sum + w.seatIds.length, 0));
  // Every loser was told which of its seats were taken, and they were.
  for (const loser of losers) {
    expect(loser.body.conflictingSeatIds.length).toBeGreaterThan(0);
    for (const seatId of loser.body.conflictingSeatIds) {
      expect(loser.seatIds).toContain(seatId);
      expect(reservedBy.has(seatId)).toBe(true);
    }
  }
  return { winners: winners.length, losers: losers.length };
};

describe('racing for the same seats', () => {
  it(`keeps every seat in at most one active booking with ${CLIENTS} concurrent clients on one instance`, async () => {
    const database = await createTestDatabase('race_one');
    const app = await startApp({ DATABASE_URL: database.url });
    try {
      const { eventId, seats } = await publishedEvent(app, 4, 20);
      const outcome = await checkOutcome(database.url, await race([app], eventId, wishes(seats, 7)));
      console.info(`one instance: ${outcome.winners} bookings, ${outcome.losers} conflicts, 0 double bookings`);
    } finally {
      await app.close();
      await database.drop();
    }
  });

  it(`keeps it with two service instances sharing one database`, async () => {
    const database = await createTestDatabase('race_two');
    const apps = [await startApp({ DATABASE_URL: database.url }), await startApp({ DATABASE_URL: database.url })];
    try {
      const { eventId, seats } = await publishedEvent(apps[0], 4, 20);
      const outcome = await checkOutcome(database.url, await race(apps, eventId, wishes(seats, 11)));
      console.info(`two instances: ${outcome.winners} bookings, ${outcome.losers} conflicts, 0 double bookings`);

      // A retry on the other instance finds the first answer there.
      const token = await bearer('auth0|retrier');
      const free = seats.slice(40, 41).map((s) => s.seatId);
      const first = await request(apps[0].getHttpServer()).post('/bookings').set('authorization', token).set('idempotency-key', 'k').send({ eventId, seatIds: free }).expect(201);
      const retry = await request(apps[1].getHttpServer()).post('/bookings').set('authorization', token).set('idempotency-key', 'k').send({ eventId, seatIds: free }).expect(201);
      expect(retry.body).toEqual(first.body);
    } finally {
      for (const app of apps) await app.close();
      await database.drop();
    }
  });
});
