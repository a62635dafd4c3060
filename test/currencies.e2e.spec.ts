import type { NestExpressApplication } from '@nestjs/platform-express';
import { Client } from 'pg';
import request from 'supertest';
import { type Published, toIntegrationEvent } from '../src/projections/integration-events.js';
import { upcast } from '../src/write/domain-event.js';
import type { Recorded } from '../src/write/event-store/event-store.port.js';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { createTestDatabase } from './support/database.js';
import { wholeLog } from './support/event-log.js';
import { eventually } from './support/eventually.js';

/**
 * Currencies (#21): an event is priced in its currency, and its bookings, payments and refunds are in
 * it too, with its decimals — none for JPY, two for USD and EUR — in events (minor units), in the read
 * models (DECIMAL(10,2)), in every answer and in integration events. What cannot be an amount of the
 * currency, or a currency prices can be in, is a 400 problem, and nothing is written.
 */
describe('currencies, through HTTP', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let sql: Client;
  let admin: string;
  let alice: string;
  const http = () => request(app.getHttpServer());
  const get = (path: string, token?: string, position?: string) => {
    const req = http().get(path);
    if (token) req.set('authorization', token);
    if (position) req.set('x-min-position', position);
    return req;
  };

  beforeAll(async () => {
    database = await createTestDatabase('currencies');
    app = await startApp({ DATABASE_URL: database.url, BOOKING_RATE_LIMIT: '0' });
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    admin = await bearer('auth0|organiser', { permissions: ['catalog:write'] });
    alice = await bearer('auth0|alice');
  });
  afterAll(async () => {
    await sql?.end();
    await app?.close();
    await database?.drop();
  });

  /** A venue of two VIP seats (row A) and two REGULAR ones (row B). */
  const venue = async () => {
    const created = await http().post('/venues').set('authorization', admin).send({ name: 'Hall', capacity: 4 }).expect(201);
    const layout = [['A', 1, 'VIP'], ['A', 2, 'VIP'], ['B', 1, 'REGULAR'], ['B', 2, 'REGULAR']].map(([row, number, type]) => ({ row, number, type }));
    const added = await http().post(`/venues/${created.body.id}/seats`).set('authorization', admin).send({ seats: layout }).expect(201);
    const [vip1, vip2, regular1, regular2] = (added.body.seats as { seatId: string }[]).map((seat) => seat.seatId);
    return { venueId: created.body.id as string, vip1, vip2, regular1, regular2 };
  };
  const createEvent = (venueId: string, body: Record<string, unknown>) =>
    http().post('/events').set('authorization', admin).send({ venueId, name: 'Gig', startTime: '2030-06-01T19:00:00Z', endTime: '2030-06-01T23:00:00Z', ...body });
  const publish = async (eventId: string) => (await http().post(`/events/${eventId}/publish`).set('authorization', admin).expect(200)).body.position as string;
  const book = (eventId: string, seatIds: string[], token = alice) => http().post('/bookings').set('authorization', token).send({ eventId, seatIds });
  const problem = (answer: request.Response, detail: string | RegExp) =>
    expect([answer.status, answer.headers['content-type'], answer.body.detail]).toEqual([
      400, expect.stringMatching(/^application\/problem\+json/), typeof detail === 'string' ? expect.stringContaining(detail) : expect.stringMatching(detail),
    ]);

  it('a JPY event: priced, booked, paid, shown and refunded in yen, without decimals', async () => {
    const { venueId, vip1, regular1 } = await venue();
    const created = await createEvent(venueId, { currency: 'JPY', prices: [{ seatType: 'VIP', price: '1500' }, { seatType: 'REGULAR', price: 2500 }] }).expect(201);
    const eventId: string = created.body.id;
    const published = await publish(eventId);

    // The catalog: the currency, and prices with its decimals (none) — 1500 in the database, "1500" in the API.
    const event = (await get(`/events/${eventId}`, undefined, published).expect(200)).body;
    expect(event).toMatchObject({ status: 'PUBLISHED', currency: 'JPY', prices: [{ seatType: 'VIP', price: '1500' }, { seatType: 'REGULAR', price: '2500' }] });
    expect((await get('/events?status=PUBLISHED&limit=100').expect(200)).body.items.find((e: { id: string }) => e.id === eventId)).toEqual(event);
    const stored = await sql.query(`SELECT e.currency, p.seat_type, p.price::text FROM catalog.events e JOIN catalog.event_seat_prices p ON p.event_id = e.id WHERE e.id = $1 ORDER BY p.seat_type`, [eventId]);
    expect(stored.rows).toEqual([{ currency: 'JPY', seat_type: 'VIP', price: '1500.00' }, { currency: 'JPY', seat_type: 'REGULAR', price: '2500.00' }]);
    const map = (await get(`/events/${eventId}/seat-map`).expect(200)).body;
    expect(map.currency).toBe('JPY');
    expect(map.seats.map((seat: { type: string; price: string }) => `${seat.type} ${seat.price}`)).toEqual(['VIP 1500', 'VIP 1500', 'REGULAR 2500', 'REGULAR 2500']);

    // Booked: the total and the items in yen.
    const booked = await book(eventId, [vip1, regular1]).expect(201);
    const bookingId: string = booked.body.id;
    const items = [{ seatId: vip1, price: '1500' }, { seatId: regular1, price: '2500' }];
    expect(booked.body).toMatchObject({ status: 'PENDING', totalAmount: '4000', currency: 'JPY', items });

    // Paid with the test provider's card that succeeds: CONFIRMED, the payment's amount in yen.
    const paid = await http().post(`/bookings/${bookingId}/payments`).set('authorization', alice).send({ paymentMethod: 'pm_card_visa' }).expect(202);
    const paymentId: string = paid.body.paymentId;
    const confirmed = await eventually(async () => {
      const answer = (await get(`/bookings/${bookingId}`, alice).expect(200)).body;
      return answer.status === 'CONFIRMED' && answer.payment?.status === 'SUCCESS' ? answer : undefined;
    }, 20_000, 'the booking CONFIRMED');
    expect(confirmed).toMatchObject({ totalAmount: '4000', currency: 'JPY', payment: { paymentId, status: 'SUCCESS', amount: '4000' } });
    expect(confirmed.items).toEqual(expect.arrayContaining(items));
    expect((await get('/me/bookings', alice).expect(200)).body.items.find((b: { id: string }) => b.id === bookingId)).toEqual(confirmed);
    const ours = (await get(`/events/${eventId}/seat-map`).expect(200)).body.seats.filter((seat: { seatId: string }) => seat.seatId === vip1 || seat.seatId === regular1);
    expect(ours.map((seat: { price: string }) => seat.price)).toEqual(['1500', '2500']);

    // The event cancelled: the paid booking is refunded, in yen.
    await http().post(`/events/${eventId}/cancel`).set('authorization', admin).expect(200);
    const refunded = await eventually(async () => {
      const answer = (await get(`/bookings/${bookingId}`, alice).expect(200)).body;
      return answer.payment?.status === 'REFUNDED' ? answer : undefined;
    }, 30_000, 'the payment REFUNDED');
    expect(refunded).toMatchObject({ status: 'CANCELLED', totalAmount: '4000', currency: 'JPY', payment: { status: 'REFUNDED', amount: '4000' } });
    const history: { type: string; schemaVersion: number; data: Record<string, unknown>; stateAfter: Record<string, unknown> }[] = (await get(`/bookings/${bookingId}/history`, alice).expect(200)).body;
    expect(history.find((entry) => entry.type === 'PaymentRefunded')).toMatchObject({
      schemaVersion: 2, data: { paymentId, bookingId, amountMinor: 4000, currency: 'JPY', reason: 'booking-cancelled' },
    });
    expect(history.at(-1)!.stateAfter).toMatchObject({ status: 'CANCELLED', totalAmount: '4000', currency: 'JPY', seats: expect.arrayContaining(items), payment: { refunded: true } });
    // The provider was charged, and refunded, ¥4000.
    const operations = await sql.query(`SELECT kind, amount_minor::int AS "amountMinor", currency FROM test_payment_provider.operations WHERE payment_id = $1 ORDER BY created_at`, [paymentId]);
    expect(operations.rows).toEqual([{ kind: 'charge', amountMinor: 4000, currency: 'JPY' }, { kind: 'refund', amountMinor: 4000, currency: 'JPY' }]);

    // In the log, minor units of yen; in integration events (Kafka and webhooks), amounts with no decimals and their currency.
    const log = (await wholeLog(database.url)).filter((e) => e.streamName === `booking-${bookingId}` || e.streamName === `payment-${paymentId}`);
    const outgoing = log.map((e) => toIntegrationEvent(upcast(e) as Recorded<Published>)?.envelope).filter((envelope) => envelope !== undefined);
    expect(outgoing.find((envelope) => envelope.type === 'booking.reserved')?.data).toMatchObject({ totalAmount: '4000', currency: 'JPY', items });
    expect(outgoing.find((envelope) => envelope.type === 'payment.refunded')).toMatchObject({ version: 2, data: { paymentId, bookingId, amount: '4000', currency: 'JPY' } });
  });

  it('a EUR event keeps its two decimals; an event without a currency is in USD', async () => {
    const { venueId, vip1, vip2 } = await venue();
    const inEuro = await createEvent(venueId, { currency: 'EUR', prices: [{ seatType: 'VIP', price: '12.50' }, { seatType: 'REGULAR', price: 12.5 }] }).expect(201);
    const inDollars = await createEvent(venueId, { prices: [{ seatType: 'VIP', price: '45' }] }).expect(201);
    const position = await publish(inEuro.body.id);
    await publish(inDollars.body.id);

    expect((await get(`/events/${inEuro.body.id}`, undefined, position).expect(200)).body).toMatchObject({
      currency: 'EUR', prices: [{ seatType: 'VIP', price: '12.50' }, { seatType: 'REGULAR', price: '12.50' }],
    });
    const euros = await book(inEuro.body.id, [vip1]).expect(201);
    expect(euros.body).toMatchObject({ totalAmount: '12.50', currency: 'EUR', items: [{ seatId: vip1, price: '12.50' }] });
    expect((await get(`/bookings/${euros.body.id}`, alice, euros.body.position).expect(200)).body).toMatchObject({ totalAmount: '12.50', currency: 'EUR' });

    const dollars = await book(inDollars.body.id, [vip2]).expect(201);
    expect(dollars.body).toMatchObject({ totalAmount: '45.00', currency: 'USD', items: [{ seatId: vip2, price: '45.00' }] });
    expect((await get(`/events/${inDollars.body.id}`, undefined, dollars.body.position).expect(200)).body).toMatchObject({ currency: 'USD', prices: [{ seatType: 'VIP', price: '45.00' }] });
    expect((await get(`/events/${inDollars.body.id}/seat-map`).expect(200)).body).toMatchObject({ currency: 'USD', seats: expect.arrayContaining([expect.objectContaining({ type: 'VIP', price: '45.00' })]) });
  });

  it('refuses, with a 400 problem that says why and nothing written: amounts the currency cannot hold, and currencies prices cannot be in', async () => {
    const { venueId, vip1, vip2 } = await venue();
    const inYen = await createEvent(venueId, { currency: 'JPY', prices: [{ seatType: 'VIP', price: '99999999' }, { seatType: 'REGULAR', price: '1000' }] }).expect(201);
    const published = await publish(inYen.body.id);
    await get(`/events/${inYen.body.id}`, undefined, published).expect(200);
    const before = (await wholeLog(database.url)).length;

    const yen = (price: unknown) => ({ currency: 'JPY', prices: [{ seatType: 'VIP', price }] });
    problem(await createEvent(venueId, yen('1500.5')), 'The VIP price must be an amount of JPY from 0 to 99999999 with no decimals, got "1500.5"');
    problem(await createEvent(venueId, yen(1500.5)), /with no decimals/);
    problem(await createEvent(venueId, yen('1500.00')), /with no decimals/);
    problem(await createEvent(venueId, { currency: 'XYZ', prices: [{ seatType: 'VIP', price: '10' }] }), 'currency must be an ISO 4217 code such as USD, EUR or JPY; "XYZ" is not one');
    problem(await createEvent(venueId, { currency: 'jpy', prices: [{ seatType: 'VIP', price: '10' }] }), 'currency must be an ISO 4217 code in capitals');
    problem(await createEvent(venueId, { currency: 'KWD', prices: [{ seatType: 'VIP', price: '10' }] }), /^KWD \(Kuwaiti Dinar\) has 3 decimals, and currencies with more than 2 are not supported yet: the read models store amounts as DECIMAL\(10,2\)/);
    problem(await createEvent(venueId, { currency: 'XAU', prices: [{ seatType: 'VIP', price: '10' }] }), 'XAU (Gold) is not a currency prices can be in');
    for (const currency of ['XTS', 'XXX', 'XDR', 'XPT', 'BHD', 'CLF', 'USDX', 'Jpy', '', 42]) {
      const answer = await createEvent(venueId, { currency, prices: [{ seatType: 'VIP', price: '10' }] });
      expect([currency, answer.status, answer.body.detail]).toEqual([currency, 400, expect.stringMatching(/currenc|decimals|ISO 4217/)]);
    }
    problem(await http().put(`/events/${inYen.body.id}/prices`).set('authorization', admin).send({ prices: [{ seatType: 'REGULAR', price: '1.5' }] }), 'The REGULAR price must be an amount of JPY');
    // Two seats at ¥99,999,999 come to more than DECIMAL(10,2) holds in yen (99,999,999): named or best available.
    problem(await book(inYen.body.id, [vip1, vip2]), 'The total, 199999998 JPY, is more than one booking can hold (99999999 JPY); book fewer seats at once');
    problem(await http().post('/bookings').set('authorization', alice).send({ eventId: inYen.body.id, quantity: 2, seatType: 'VIP' }), /is more than one booking can hold \(99999999 JPY\)/);

    expect((await wholeLog(database.url)).length).toBe(before);

    // One seat at the highest price is one a booking holds; a null currency is none, the default.
    expect((await book(inYen.body.id, [vip1]).expect(201)).body).toMatchObject({ totalAmount: '99999999', currency: 'JPY' });
    const noCurrency = await createEvent(venueId, { currency: null, prices: [{ seatType: 'VIP', price: '10' }] }).expect(201);
    expect((await get(`/events/${noCurrency.body.id}`, undefined, noCurrency.body.position).expect(200)).body).toMatchObject({ currency: 'USD', prices: [{ seatType: 'VIP', price: '10.00' }] });
  });
});
