import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent, type SeatOfVenue } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { doubleBookedSeats, wholeLog } from './support/event-log.js';
import { eventually } from './support/eventually.js';
import { recordFigure } from './support/figures.js';

/**
 * Best available and the organiser's holds under contention, on two instances sharing one
 * database (so that batches are also decided again after the other instance appended first).
 * Checked from the answers, from the event log, and from the seat map.
 */
const CLIENTS = 300;
const TYPES = [undefined, 'VIP', 'REGULAR', 'ECONOMY'] as const;
const SECTIONS = [undefined, 'Left', 'Right'] as const;

/** A deterministic generator (mulberry32), so that a failing run can be repeated. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

describe('best available under contention', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let apps: NestExpressApplication[];
  beforeAll(async () => {
    database = await createTestDatabase('best_available');
    const env = { DATABASE_URL: database.url, BOOKING_RATE_LIMIT: '0' };
    apps = [await startApp(env), await startApp(env)];
  });
  afterAll(async () => {
    for (const app of apps ?? []) await app.close();
    await database?.drop();
  });
  const http = (i: number) => request(apps[i % apps.length].getHttpServer());

  it(`gives ${CLIENTS} concurrent buyers adjacent seats in one row, never a seat twice nor a held one, and no collision`, async () => {
    // Two sections of 6 rows × 20 seats: 240 seats, rows A VIP, B REGULAR, C-F ECONOMY.
    const { eventId, seats, admin } = await publishedEvent(apps[0], 6, 20, undefined, ['Left', 'Right']);
    const byId = new Map<string, SeatOfVenue>(seats.map((seat) => [seat.seatId, seat]));
    // The best ECONOMY seats of Left, the middle of its row C, kept back.
    const held = seats.filter((s) => s.section === 'Left' && s.row === 'C' && s.number >= 8 && s.number <= 13).map((s) => s.seatId);
    await http(0).post(`/events/${eventId}/holds`).set('authorization', admin).send({ seatIds: held, reason: 'Sponsors' }).expect(201);

    const next = random(19);
    const asks = Array.from({ length: CLIENTS }, () => ({
      quantity: 1 + Math.floor(next() * 4),
      seatType: TYPES[Math.floor(next() * TYPES.length)],
      section: SECTIONS[Math.floor(next() * SECTIONS.length)],
    }));
    const outcomes = await Promise.all(
      asks.map(async (ask, i) => {
        const token = await bearer(`auth0|best-${i}`);
        const response = await http(i).post('/bookings').set('authorization', token).send({ eventId, ...ask });
        return { ask, status: response.status, body: response.body };
      }),
    );

    // Every answer is a booking or "no block that size": never a collision, nothing else.
    const refusedOtherwise = outcomes.filter((o) => o.status !== 201 && !(o.status === 409 && /not-enough-seats$/.test(o.body.type)));
    expect(refusedOtherwise).toEqual([]);
    const booked = outcomes.filter((o) => o.status === 201);
    const turnedAway = outcomes.filter((o) => o.status === 409);
    expect(booked.length).toBeGreaterThan(50);
    expect(turnedAway.length).toBeGreaterThan(0); // demand is about three times the seats
    for (const { body } of turnedAway) expect(body.available).toEqual(expect.any(Number));

    const taken = new Set<string>();
    for (const { ask, body } of booked) {
      const chosen = body.items.map((item: { seatId: string }) => byId.get(item.seatId)!);
      expect(chosen).toHaveLength(ask.quantity);
      // One row of one section, one type, numbers in a row; what was asked for; never held, never twice.
      expect(new Set(chosen.map((s: SeatOfVenue) => `${s.section}/${s.row}/${s.type}`)).size).toBe(1);
      expect(chosen.map((s: SeatOfVenue) => s.number)).toEqual(chosen.map((_: unknown, k: number) => chosen[0].number + k));
      if (ask.seatType) expect(chosen[0].type).toBe(ask.seatType);
      if (ask.section) expect(chosen[0].section).toBe(ask.section);
      for (const seat of chosen) {
        expect(held).not.toContain(seat.seatId);
        expect(taken.has(seat.seatId)).toBe(false);
        taken.add(seat.seatId);
      }
    }
    // The log agrees: no seat in two active bookings, and each booking's seats were chosen for what it asked.
    const log = await wholeLog(database.url);
    expect(doubleBookedSeats(log)).toEqual(new Map());
    const chosenInLog = log.filter((e) => e.type === 'SeatsReserved').map((e) => e.data as { bestAvailable?: { quantity: number } });
    expect(chosenInLog.filter((d) => d.bestAvailable).length).toBe(booked.length);

    // And so does the seat map, once projected: the held seats HELD, every booked seat RESERVED.
    const map = await eventually(async () => {
      const answer = await http(1).get(`/events/${eventId}/seat-map`);
      return answer.body.counts?.RESERVED === taken.size ? answer.body : undefined;
    }, 30_000, 'the seat map to show every booking');
    expect(map.counts).toMatchObject({ HELD: held.length, RESERVED: taken.size, total: 240 });
    const statusOf = new Map(map.seats.map((s: { seatId: string; status: string }) => [s.seatId, s.status]));
    for (const seatId of held) expect(statusOf.get(seatId)).toBe('HELD');
    for (const seatId of taken) expect(statusOf.get(seatId)).toBe('RESERVED');
    recordFigure('best available', `${CLIENTS} concurrent buyers on two instances: bookings (seats) / not-enough-seats / collisions`, `${booked.length} (${taken.size}) / ${turnedAway.length} / 0`);
  });

  it('refuses bad best-available requests with a 400 problem, and writes nothing', async () => {
    const { eventId, seats, admin } = await publishedEvent(apps[0], 2, 10, undefined, ['Left']);
    const buyer = await bearer('auth0|best-bad');
    const before = (await wholeLog(database.url)).length;
    const bad = [
      { eventId, quantity: 0 },
      { eventId, quantity: 11 }, // MAX_SEATS_PER_BOOKING is 10
      { eventId, quantity: 1.5 },
      { eventId, quantity: 2, seatIds: [seats[0].seatId] },
      { eventId, seatIds: [seats[0].seatId], section: 'Left' },
      { eventId },
      { eventId, quantity: 2, section: 'Right' }, // the venue has no such section
      { eventId, quantity: 2, section: 'x'.repeat(51) },
      { eventId, quantity: 2, seatType: 'BOX' },
    ];
    for (const body of bad) {
      const answer = await http(0).post('/bookings').set('authorization', buyer).send(body);
      expect([body, answer.status, answer.headers['content-type']]).toEqual([body, 400, expect.stringMatching(/^application\/problem\+json/)]);
      expect(answer.body.detail).toEqual(expect.any(String));
    }
    const badHolds = [{ seatIds: [], reason: 'x' }, { seatIds: [seats[0].seatId] }, { seatIds: [seats[0].seatId, seats[0].seatId], reason: 'twice' }, { seatIds: ['nope'], reason: 'x' }];
    for (const body of badHolds) await http(0).post(`/events/${eventId}/holds`).set('authorization', admin).send(body).expect(400);
    await http(0).delete(`/events/${eventId}/holds/not-a-uuid`).set('authorization', admin).expect(400);
    expect((await wholeLog(database.url)).length).toBe(before);
  });

  it('holds a seat or books it, never both, when holds and bookings race for it', async () => {
    const { eventId, seats, admin } = await publishedEvent(apps[0], 1, 10);
    const contested = [seats[4].seatId, seats[5].seatId];
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        if (i % 2 === 0) return http(i).post(`/events/${eventId}/holds`).set('authorization', admin).send({ seatIds: contested, reason: `hold ${i}` });
        return http(i).post('/bookings').set('authorization', await bearer(`auth0|racing-hold-${i}`)).send({ eventId, seatIds: contested });
      }),
    );
    expect(outcomes.filter((o) => o.status === 201)).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 409)).toHaveLength(39);
    for (const refused of outcomes.filter((o) => o.status === 409)) expect(refused.body.conflictingSeatIds).toEqual(contested);
  });
});
