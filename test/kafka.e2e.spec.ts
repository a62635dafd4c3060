import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent, type SeatOfVenue } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { doubleBookedSeats, wholeLog } from './support/event-log.js';
import { eventually } from './support/eventually.js';
import { recordFigure } from './support/figures.js';
import { collect, ownBroker, testBrokers, topicPrefix } from './support/kafka.js';

/** Against a real broker: integration events out, payment outcomes in, holds that run out. */
describe('with Kafka', () => {
  describe('a purchase', () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let app: NestExpressApplication;
    const prefix = topicPrefix();
    beforeAll(async () => {
      database = await createTestDatabase('kafka_purchase');
      app = await startApp({ DATABASE_URL: database.url, KAFKA_BROKERS: testBrokers(), KAFKA_TOPIC_PREFIX: prefix });
    });
    afterAll(async () => {
      await app?.close();
      await database?.drop();
    });

    it('reserves, pays with pm_card_visa through the outcomes topic, confirms, admits at the door, and publishes it all in order', async () => {
      const { eventId, seats } = await publishedEvent(app, 1, 4);
      const alice = await bearer('auth0|alice');
      const http = () => request(app.getHttpServer());
      const topics = await collect(testBrokers(), [`${prefix}bookings`, `${prefix}payments`, `${prefix}events`, `${prefix}tickets`]);
      try {
        const booked = await http().post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seats[0].seatId] }).expect(201);
        await http().post(`/bookings/${booked.body.id}/payments`).set('authorization', alice).send({ paymentMethod: 'pm_card_visa' }).expect(202);
        const confirmed = await eventually(async () => {
          const { body } = await http().get(`/bookings/${booked.body.id}`).set('authorization', alice);
          return body.status === 'CONFIRMED' ? body : undefined;
        }, 30_000, 'the booking to be confirmed');
        expect(confirmed.ticketReference).toMatch(/^TKT-/);
        // The outcome came in through Kafka, not the webhook.
        const [mark] = await app.get(DataSource).query(`SELECT event_type FROM booking.processed_events WHERE projector = 'payment-outcomes'`);
        expect(mark).toEqual({ event_type: 'payment.succeeded' });
        const [ticket] = (await http().get(`/bookings/${booked.body.id}/tickets`).set('authorization', alice).expect(200)).body.tickets;
        const gate = await bearer('auth0|gate', { permissions: ['checkin:write'] });
        await http().post(`/events/${eventId}/check-ins`).set('authorization', gate).send({ code: ticket.code, gate: 'North' }).expect(200);
        const admitted = await eventually(() => topics.received.find((m) => m.value.type === 'ticket.admitted'), 30_000, 'ticket.admitted');
        expect(admitted).toMatchObject({
          topic: `${prefix}tickets`,
          key: ticket.ticketId,
          value: { subject: ticket.ticketId, data: { ticketId: ticket.ticketId, eventId, bookingId: booked.body.id, seatId: seats[0].seatId, gate: 'North', scannedAt: expect.any(String), supersedes: null } },
        });

        const declined = await http().post('/bookings').set('authorization', alice).send({ eventId, seatIds: [seats[1].seatId] }).expect(201);
        await http().post(`/bookings/${declined.body.id}/payments`).set('authorization', alice).send({ paymentMethod: 'pm_card_chargeDeclined' }).expect(202);

        const about = (subject: string) => topics.received.filter((m) => m.value.subject === subject || m.value.data.bookingId === subject);
        await eventually(() => about(confirmed.payment.paymentId).some((m) => m.value.type === 'payment.succeeded') && about(booked.body.id).length >= 2, 30_000, 'the integration events');
        expect(about(booked.body.id).filter((m) => m.topic === `${prefix}bookings`).map((m) => [m.key, m.value.type])).toEqual([
          [booked.body.id, 'booking.reserved'],
          [booked.body.id, 'booking.confirmed'],
        ]);
        expect(topics.received.find((m) => m.value.type === 'event.published' && m.key === eventId)).toBeDefined();

        const failure = await eventually(() => topics.received.find((m) => m.value.type === 'payment.failed'), 30_000, 'payment.failed');
        expect(failure.value.data).toMatchObject({ attempt: 1, reason: 'Your card was declined.' });
        expect((await http().get(`/bookings/${declined.body.id}`).set('authorization', alice).expect(200)).body.status).toBe('PENDING');
        // Kafka orders messages per key only: find this booking's reservation, not the first one received.
        expect(about(booked.body.id).find((m) => m.value.type === 'booking.reserved')!.value).toEqual({
          id: expect.any(String),
          type: 'booking.reserved',
          version: 1,
          time: expect.any(String),
          correlationId: expect.any(String),
          causationId: expect.any(String),
          subject: booked.body.id,
          data: { bookingId: booked.body.id, eventId, userId: 'auth0|alice', items: [{ seatId: seats[0].seatId, price: '120.00' }], totalAmount: '120.00', currency: 'USD', expiresAt: expect.any(String) },
        });
      } finally {
        await topics.stop();
      }
    });
  });

  describe('holds that run out', () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let app: NestExpressApplication;
    let eventId: string;
    let seats: SeatOfVenue[];
    const http = () => request(app.getHttpServer());
    beforeAll(async () => {
      database = await createTestDatabase('kafka_expiry');
      app = await startApp({
        DATABASE_URL: database.url,
        KAFKA_BROKERS: testBrokers(),
        KAFKA_TOPIC_PREFIX: topicPrefix(),
        BOOKING_HOLD_SECONDS: '2',
        BOOKING_EXPIRY_SWEEP_SECONDS: '1',
      });
      ({ eventId, seats } = await publishedEvent(app, 2, 20));
    });
    afterAll(async () => {
      await app?.close();
      await database?.drop();
    });

    const streamEvents = async (stream: string) => (await wholeLog(database.url)).filter((e) => e.streamName === stream).map((e) => e.type);

    it('frees an expired hold within the bounded delay; a late success is refunded and the new owner keeps the seat', async () => {
      const [alice, bob] = [await bearer('auth0|alice'), await bearer('auth0|bob')];
      const seatIds = [seats[0].seatId];
      const first = await http().post('/bookings').set('authorization', alice).send({ eventId, seatIds }).expect(201);
      const paid = await http().post(`/bookings/${first.body.id}/payments`).set('authorization', alice).send({ paymentMethod: 'pm_card_visa_delayed' }).expect(202);

      const freed = await eventually(async () => {
        const map = await http().get(`/events/${eventId}/seat-map`).expect(200);
        return map.body.seats.find((s: { seatId: string }) => s.seatId === seatIds[0]).status === 'AVAILABLE' ? Date.now() : undefined;
      }, 15_000, 'the seat to be free again');
      const delayAfterExpiry = freed - Date.parse(first.body.expiresAt);
      expect(delayAfterExpiry).toBeLessThan(1_000 /* sweep */ + 3_000 /* projection and polling slack */);

      const second = await http().post('/bookings').set('authorization', bob).send({ eventId, seatIds }).expect(201);
      await http().post(`/bookings/${second.body.id}/payments`).set('authorization', bob).send({ paymentMethod: 'pm_card_visa' }).expect(202);
      // The provider reports Alice's success 6 s after she paid: after her hold, after Bob took the seat.
      await eventually(async () => (await streamEvents(`payment-${paid.body.paymentId}`)).includes('PaymentRefunded'), 20_000, 'the refund');
      expect(await streamEvents(`booking-${first.body.id}`)).toEqual(['BookingPlaced', 'BookingCancelled']);
      expect(await streamEvents(`payment-${paid.body.paymentId}`)).toEqual(['PaymentRequested', 'PaymentProcessing', 'PaymentSucceeded', 'RefundRequested', 'PaymentRefunded']);
      await eventually(async () => (await streamEvents(`booking-${second.body.id}`)).length === 2, 10_000, "Bob's payment");
      expect(await streamEvents(`booking-${second.body.id}`)).toEqual(['BookingPlaced', 'BookingConfirmed']);
      expect(doubleBookedSeats(await wholeLog(database.url))).toEqual(new Map());
    });

    it('ends each booking of an expiry/payment race in exactly one of the two', async () => {
      const racers = 24;
      const outcomes = await Promise.all(
        Array.from({ length: racers }, async (_, i) => {
          const token = await bearer(`auth0|racer-${i}`);
          const booked = await http().post('/bookings').set('authorization', token).send({ eventId, seatIds: [seats[10 + i].seatId] }).expect(201);
          // Pay somewhere around the end of the 2 s hold: some before, some after, some in the same instant as the sweep.
          await new Promise((r) => setTimeout(r, 1_500 + (i % 8) * 100));
          const paid = await http().post(`/bookings/${booked.body.id}/payments`).set('authorization', token).send({ paymentMethod: 'pm_card_visa' });
          return { bookingId: booked.body.id as string, paymentStatus: paid.status, paymentId: paid.body.paymentId as string | undefined };
        }),
      );
      const settled = async () => {
        const log = await wholeLog(database.url);
        return outcomes.map((o) => {
          const booking = log.filter((e) => e.streamName === `booking-${o.bookingId}`).map((e) => e.type);
          const payment = o.paymentId ? log.filter((e) => e.streamName === `payment-${o.paymentId}`).map((e) => e.type) : [];
          return { ...o, booking, payment };
        });
      };
      const final = await eventually(async () => {
        const now = await settled();
        const done = now.every((o) => o.booking.length === 2 && (!o.paymentId || o.payment.some((t) => t === 'PaymentSucceeded')) &&
          (!o.booking.includes('BookingCancelled') || !o.payment.includes('PaymentSucceeded') || o.payment.includes('PaymentRefunded')));
        return done ? now : undefined;
      }, 30_000, 'every race to settle');
      for (const o of final) {
        expect(o.booking[0]).toBe('BookingPlaced');
        expect(['BookingConfirmed', 'BookingCancelled']).toContain(o.booking[1]);
        if (o.booking[1] === 'BookingConfirmed') expect(o.payment).not.toContain('PaymentRefunded');
        if (o.booking[1] === 'BookingCancelled' && o.payment.includes('PaymentSucceeded')) expect(o.payment).toContain('PaymentRefunded');
      }
      const confirmed = final.filter((o) => o.booking[1] === 'BookingConfirmed').length;
      console.info(`expiry/payment race: ${confirmed} confirmed, ${racers - confirmed} expired (${final.filter((o) => o.payment.includes('PaymentRefunded')).length} refunded), none both`);
      expect(doubleBookedSeats(await wholeLog(database.url))).toEqual(new Map());
    });
  });

  it('keeps booking while the broker is down for a minute, and publishes every integration event once it is back', async () => {
    const outageMs = Number(process.env.KAFKA_OUTAGE_SECONDS ?? 60) * 1_000;
    const broker = ownBroker('outage', 19192);
    broker.start();
    const database = await createTestDatabase('kafka_outage');
    const prefix = topicPrefix();
    const app = await startApp({ DATABASE_URL: database.url, KAFKA_BROKERS: broker.brokers, KAFKA_TOPIC_PREFIX: prefix, BOOKING_RATE_LIMIT: '0' });
    try {
      const { eventId, seats } = await publishedEvent(app, 1, 200);
      let next = 0;
      const book = async () =>
        request(app.getHttpServer()).post('/bookings').set('authorization', await bearer(`auth0|buyer-${next}`)).send({ eventId, seatIds: [seats[next++].seatId] }).expect(201);
      for (let i = 0; i < 10; i++) await book();
      broker.stop();
      // The service keeps selling while Kafka is away, a booking every half second.
      const during = next;
      const kafkaHealth: string[] = [];
      for (const back = Date.now() + outageMs; Date.now() < back && next < seats.length - 10; await new Promise((r) => setTimeout(r, 500))) {
        await book();
        kafkaHealth.push((await request(app.getHttpServer()).get('/health')).body.details.kafka.status);
      }
      const bookedDuringOutage = next - during;
      // /health says so once the oldest unpublished event is 10 s old (or sending failed).
      if (outageMs > 15_000) expect(kafkaHealth).toContain('degraded');
      broker.start();
      for (let i = 0; i < 10; i++) await book();

      const expected = new Set(
        (await wholeLog(database.url)).filter((e) => ['BookingPlaced', 'EventPublished'].includes(e.type)).map((e) => e.metadata.eventId),
      );
      const topics = await collect(broker.brokers, [`${prefix}bookings`, `${prefix}events`]);
      try {
        const published = await eventually(() => {
          const ids = new Set(topics.received.map((m) => m.value.id));
          return [...expected].every((id) => ids.has(id)) ? ids : undefined;
        }, 60_000, 'every integration event');
        expect([...published].filter((id) => !expected.has(id))).toEqual([]);
        const copies = topics.received.length - published.size;
        recordFigure('kafka outage', `broker down (s)`, outageMs / 1_000);
        recordFigure('kafka outage', 'bookings accepted while it was down', bookedDuringOutage);
        recordFigure('kafka outage', 'integration events published after it came back / expected', `${expected.size} / ${expected.size}`);
        recordFigure('kafka outage', 'integration events delivered more than once (same id; consumers deduplicate)', copies);
      } finally {
        await topics.stop();
      }
    } finally {
      await app.close();
      await database.drop();
      broker.stop();
    }
  }, 240_000);
});
