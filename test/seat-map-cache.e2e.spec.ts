import type { NestExpressApplication } from '@nestjs/platform-express';
import { jest } from '@jest/globals';
import request from 'supertest';
import { CatalogQueries } from '../src/read/catalog/catalog.queries.js';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent, type SeatOfVenue } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { eventually } from './support/eventually.js';

/**
 * GET /events/:eventId/seat-map is served from a cache that the seats changed since are applied to
 * (CatalogQueries.seatMapBody): after each step its text must be exactly what a full build gives.
 */
describe('the seat map cache', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let queries: CatalogQueries;
  let alice: string;
  let admin: string;
  let eventId: string;
  let seats: SeatOfVenue[];
  const http = () => request(app.getHttpServer());
  const place = async (seatIds: string[]) =>
    (await http().post('/bookings').set('authorization', alice).send({ eventId, seatIds }).expect(201)).body as { id: string; position: string };

  beforeAll(async () => {
    database = await createTestDatabase('seat_map_cache');
    app = await startApp({ DATABASE_URL: database.url });
    queries = app.get(CatalogQueries);
    alice = await bearer('auth0|alice');
    ({ eventId, seats, admin } = await publishedEvent(app, 3, 10));
    await eventually(async () => (await http().get(`/events/${eventId}`)).body.status === 'PUBLISHED', 10_000, 'the event in the catalog');
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  /** The served text, how it was made (a full build or the changes since), and the same from a full build. */
  const served = async (position?: string, event = eventId) => {
    const fullBuilds = jest.spyOn(queries, 'seatMap');
    const changeReads = jest.spyOn(queries, 'seatChanges');
    try {
      const req = http().get(`/events/${event}/seat-map`);
      if (position) req.set('x-min-position', position);
      const response = await req.expect(200).expect('content-type', /application\/json/);
      const made = { full: fullBuilds.mock.calls.length, incremental: changeReads.mock.calls.length };
      return { text: response.text, etag: response.headers.etag as string, made, built: JSON.stringify(await queries.seatMap(event)) };
    } finally {
      fullBuilds.mockRestore();
      changeReads.mockRestore();
    }
  };

  it('gives, change after change, exactly the text of a full build, reading only the changed seats', async () => {
    const first = await served();
    expect(first.made).toEqual({ full: 1, incremental: 0 });
    expect(first.text).toBe(first.built);
    expect(JSON.parse(first.text).counts).toEqual({ AVAILABLE: 30, RESERVED: 0, SOLD: 0, HELD: 0, total: 30 });

    // Nothing changed: the cached text, nothing read; a client that has it gets a 304 for its ETag.
    expect(await served()).toEqual({ ...first, made: { full: 0, incremental: 0 } });
    expect(first.etag).toMatch(/^"[\w-]+"$/);
    await http().get(`/events/${eventId}/seat-map`).set('if-none-match', first.etag).expect(304);

    const paid = await place([seats[0].seatId, seats[11].seatId]);
    const reserved = await served(paid.position);
    expect(reserved.made).toEqual({ full: 0, incremental: 1 });
    expect(reserved.text).toBe(reserved.built);
    expect(reserved.etag).not.toBe(first.etag);
    await http().get(`/events/${eventId}/seat-map`).set('if-none-match', first.etag).expect(200);
    expect(JSON.parse(reserved.text).counts).toEqual({ AVAILABLE: 28, RESERVED: 2, SOLD: 0, HELD: 0, total: 30 });

    const dropped = await place([seats[12].seatId, seats[29].seatId]);
    await place([seats[5].seatId]);
    const cancelled = await http().post(`/bookings/${dropped.id}/cancel`).set('authorization', alice).expect(200);
    const afterCancel = await served(cancelled.body.position);
    expect(afterCancel.made).toEqual({ full: 0, incremental: 1 });
    expect(afterCancel.text).toBe(afterCancel.built);
    expect(JSON.parse(afterCancel.text).counts).toEqual({ AVAILABLE: 27, RESERVED: 3, SOLD: 0, HELD: 0, total: 30 });

    await http().post(`/bookings/${paid.id}/payments`).set('authorization', alice).send({ paymentMethod: 'pm_card_visa' }).expect(202);
    const sold = await eventually(async () => {
      const map = await served();
      return JSON.parse(map.text).counts.SOLD === 2 ? map : undefined;
    }, 10_000, 'the paid seats SOLD');
    expect(sold.text).toBe(sold.built);
    expect(JSON.parse(sold.text).counts).toEqual({ AVAILABLE: 27, RESERVED: 1, SOLD: 2, HELD: 0, total: 30 });
    expect(JSON.parse(sold.text).seats[0]).toEqual({ seatId: seats[0].seatId, section: '', row: 'A', number: 1, type: 'VIP', rank: 9, price: '120.00', status: 'SOLD' });

    // New prices: a full build (the seats did not change, their prices did).
    const repriced = await http().put(`/events/${eventId}/prices`).set('authorization', admin).send({ prices: [{ seatType: 'ECONOMY', price: '25.00' }] }).expect(200);
    const afterPrices = await served(repriced.body.position);
    expect(afterPrices.made).toEqual({ full: 1, incremental: 0 });
    expect(afterPrices.text).toBe(afterPrices.built);
    expect(JSON.parse(afterPrices.text).seats[29]).toMatchObject({ seatId: seats[29].seatId, price: '25.00', status: 'AVAILABLE' });

    // And changes after it go on from the new prices.
    const late = await place([seats[29].seatId]);
    const afterLate = await served(late.position);
    expect(afterLate.made).toEqual({ full: 0, incremental: 1 });
    expect(afterLate.text).toBe(afterLate.built);
    expect(JSON.parse(afterLate.text).seats[29]).toMatchObject({ price: '25.00', status: 'RESERVED' });
  });

  it('builds the map again when seats are added to the venue (new rows of the seat map)', async () => {
    // A venue of no set capacity, so that it can grow after its event is on sale.
    const venue = await http().post('/venues').set('authorization', admin).send({ name: 'Growing Hall', location: 'Elsewhere 2' }).expect(201);
    const addSeats = async (layout: { row: string; number: number; type: string }[]) =>
      (await http().post(`/venues/${venue.body.id}/seats`).set('authorization', admin).send({ seats: layout }).expect(201)).body as {
        position: string;
        seats: SeatOfVenue[];
      };
    await addSeats([1, 2, 3].map((number) => ({ row: 'B', number, type: 'REGULAR' })));
    const prices = [{ seatType: 'VIP', price: '99.00' }, { seatType: 'REGULAR', price: '50.00' }, { seatType: 'ECONOMY', price: '10.00' }];
    const event = await http()
      .post('/events')
      .set('authorization', admin)
      .send({ venueId: venue.body.id, name: 'Growing Night', startTime: '2030-07-01T19:00:00Z', endTime: '2030-07-01T23:00:00Z', prices })
      .expect(201);
    const before = await served(event.body.position, event.body.id);
    expect(before.made).toEqual({ full: 1, incremental: 0 });
    expect(JSON.parse(before.text).counts.total).toBe(3);

    const added = await addSeats([{ row: 'A', number: 1, type: 'VIP' }, { row: 'B', number: 4, type: 'REGULAR' }]);
    const grown = await served(added.position, event.body.id);
    expect(grown.made).toEqual({ full: 1, incremental: 1 });
    expect(grown.text).toBe(grown.built);
    const map = JSON.parse(grown.text);
    expect(map.counts).toEqual({ AVAILABLE: 5, RESERVED: 0, SOLD: 0, HELD: 0, total: 5 });
    expect(map.seats[0]).toEqual({
      // Row B was created first: row A, added later, ranks after it, its one seat at its own middle.
      seatId: added.seats[0].seatId, section: '', row: 'A', number: 1, type: 'VIP', rank: 1_000_000, price: '99.00', status: 'AVAILABLE',
    });
  });

  it('answers buyers asking at once with one read of the changes, all the same text', async () => {
    const booking = await place([seats[3].seatId]);
    const changeReads = jest.spyOn(queries, 'seatChanges');
    try {
      const texts = await Promise.all(
        Array.from({ length: 10 }, () => http().get(`/events/${eventId}/seat-map`).set('x-min-position', booking.position).expect(200)),
      );
      expect(changeReads).toHaveBeenCalledTimes(1);
      expect(new Set(texts.map((t) => t.text)).size).toBe(1);
      expect(texts[0].text).toBe(JSON.stringify(await queries.seatMap(eventId)));
    } finally {
      changeReads.mockRestore();
    }
  });
});
