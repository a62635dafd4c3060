import type { NestExpressApplication } from '@nestjs/platform-express';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { PDFDocument } from 'pdf-lib';
import request from 'supertest';
import { TicketKeys } from '../src/write/tickets/ticket-keys.js';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent, type SeatOfVenue } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { wholeLog } from './support/event-log.js';
import { eventually } from './support/eventually.js';

/**
 * Tickets and the door (SPEC §9): codes a gate verifies with the public key alone, the PDF, and
 * check-in that admits once — under fifty gates at once, offline uploads out of order, void
 * tickets, and codes that are forged, foreign, garbage or huge. Two instances share one database.
 */
type Ticket = { ticketId: string; seatId: string; section: string; row: string; number: number; code: string; qrSvg: string };

describe('tickets and check-in', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let apps: NestExpressApplication[];
  let eventId: string;
  let seats: SeatOfVenue[];
  let admin: string;
  let gate: string;
  const http = (i = 0) => request(apps[i % apps.length].getHttpServer());

  beforeAll(async () => {
    database = await createTestDatabase('tickets');
    const env = { DATABASE_URL: database.url, BOOKING_RATE_LIMIT: '0' };
    apps = [await startApp(env), await startApp(env)];
    ({ eventId, seats, admin } = await publishedEvent(apps[0], 2, 10));
    gate = await bearer('auth0|gate-staff', { permissions: ['checkin:write'] });
  });
  afterAll(async () => {
    for (const app of apps ?? []) await app.close();
    await database?.drop();
  });

  /** A booking of these seats, paid with the test provider and confirmed; its tickets. */
  const confirmed = async (user: string, seatIds: string[], event = eventId) => {
    const token = await bearer(user);
    const booked = await http().post('/bookings').set('authorization', token).send({ eventId: event, seatIds }).expect(201);
    await http().post(`/bookings/${booked.body.id}/payments`).set('authorization', token).send({ paymentMethod: 'pm_card_visa' }).expect(202);
    await eventually(async () => (await http().get(`/bookings/${booked.body.id}`).set('authorization', token)).body.status === 'CONFIRMED' || undefined, 15_000, 'the confirmation');
    const tickets = await http().get(`/bookings/${booked.body.id}/tickets`).set('authorization', token).expect(200);
    return { bookingId: booked.body.id as string, token, tickets: tickets.body.tickets as Ticket[] };
  };
  const scan = (body: Record<string, unknown>, i = 0, event = eventId) => http(i).post(`/events/${event}/check-ins`).set('authorization', gate).send(body);
  /** What the doors wrote: the events of door streams (a cancelled booking's refund, say, may still be on its way to the log). */
  const logLength = async () => (await wholeLog(database.url)).filter((event) => event.streamName.startsWith('door-')).length;

  it('issues one ticket per seat of a confirmed booking, not before, and only to its owner', async () => {
    const token = await bearer('auth0|early');
    const booked = await http().post('/bookings').set('authorization', token).send({ eventId, seatIds: [seats[18].seatId] }).expect(201);
    const pending = await http().get(`/bookings/${booked.body.id}/tickets`).set('authorization', token).set('x-min-position', booked.body.position).expect(409);
    expect(pending.body.type).toMatch(/booking-not-confirmed$/);
    await http().get(`/bookings/${booked.body.id}/tickets.pdf`).set('authorization', token).expect(409);

    const { bookingId, token: owner, tickets } = await confirmed('auth0|alice', [seats[0].seatId, seats[1].seatId, seats[12].seatId]);
    expect(tickets.map((t) => [t.row, t.number])).toEqual([['A', 1], ['A', 2], ['B', 3]]);
    expect(new Set(tickets.map((t) => t.ticketId)).size).toBe(3);
    for (const ticket of tickets) expect(ticket.qrSvg).toMatch(/^<svg[^>]*>.*<\/svg>\s*$/s);
    await http().get(`/bookings/${bookingId}/tickets`).set('authorization', await bearer('auth0|mallory')).expect(404);
    // Issued again, the same codes: Ed25519 signatures are deterministic, and ticket ids follow from (booking, seat).
    const again = await http().get(`/bookings/${bookingId}/tickets`).set('authorization', owner).expect(200);
    expect(again.body.tickets.map((t: Ticket) => t.code)).toEqual(tickets.map((t) => t.code));
  });

  it('signs codes a gate verifies with the public JWK alone', async () => {
    const { tickets, bookingId } = await confirmed('auth0|bob', [seats[2].seatId]);
    const jwk = (await request(apps[1].getHttpServer()).get(`/events/${eventId}/ticket-key`).expect(200)).body;
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwk.d).toBeUndefined();
    // jose and the JWK only: what a gate's own software does, offline.
    const { payload, protectedHeader } = await compactVerify(tickets[0].code, await importJWK(jwk, 'EdDSA'), { algorithms: ['EdDSA'] });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: jwk.kid });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ tid: tickets[0].ticketId, eid: eventId, sid: seats[2].seatId, bid: bookingId });
    const { keys } = (await http().get(`/events/${eventId}/ticket-keys`).expect(200)).body;
    expect(keys).toEqual([jwk]);
    await http().get(`/events/00000000-0000-4000-8000-000000000000/ticket-key`).expect(404);
  });

  it('gives a PDF with one page per ticket', async () => {
    const { bookingId, token } = await confirmed('auth0|carol', [seats[3].seatId, seats[4].seatId, seats[5].seatId, seats[6].seatId]);
    const response = await http().get(`/bookings/${bookingId}/tickets.pdf`).set('authorization', token).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    const pdf = await PDFDocument.load(response.body as Buffer);
    expect(pdf.getPageCount()).toBe(4);
    expect(pdf.getTitle()).toBe(`Tickets of booking ${bookingId}`);
  });

  it('admits a ticket once under fifty gates scanning it at once, on two instances', async () => {
    const { tickets } = await confirmed('auth0|dave', [seats[7].seatId]);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => scan({ code: tickets[0].code, gate: `gate-${i}` }, i)));
    const admitted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 409);
    expect(admitted).toHaveLength(1);
    expect(refused).toHaveLength(49);
    expect(admitted[0].body).toMatchObject({ result: 'ADMITTED', ticketId: tickets[0].ticketId, seatId: seats[7].seatId });
    const first = { at: admitted[0].body.scannedAt, gate: admitted[0].body.gate };
    for (const answer of refused) {
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ type: expect.stringMatching(/already-admitted$/), result: 'ALREADY_ADMITTED', firstScan: first, ticketId: tickets[0].ticketId });
    }
    const log = (await wholeLog(database.url)).filter((e) => e.streamName === `door-${eventId}` && e.data.ticketId === tickets[0].ticketId);
    expect(log.filter((e) => e.type === 'TicketAdmitted')).toHaveLength(1);
    expect(log.filter((e) => e.type === 'DuplicateScanRecorded')).toHaveLength(49);
  });

  it('takes offline uploads out of order: the earliest scan admits, the others are duplicates, all in the history', async () => {
    const { bookingId, token, tickets } = await confirmed('auth0|erin', [seats[8].seatId]);
    const [ticket] = tickets;
    const online = await scan({ code: ticket.code, gate: 'North' }).expect(200);
    const now = Date.parse(online.body.scannedAt);
    const minutesAgo = (m: number) => new Date(now - m * 60_000).toISOString();
    // The offline gate's earlier scan arrives after: it is the admission.
    const early = await scan({ code: ticket.code, gate: 'Offline-1', scannedAt: minutesAgo(0.5) }).expect(200);
    expect(early.body).toMatchObject({ result: 'ADMITTED', gate: 'Offline-1', scannedAt: minutesAgo(0.5) });
    // Between the two, from another offline gate: a duplicate of the earliest.
    const between = await scan({ code: ticket.code, gate: 'Offline-2', scannedAt: minutesAgo(0.25) }).expect(409);
    expect(between.body.firstScan).toEqual({ at: minutesAgo(0.5), gate: 'Offline-1' });
    // A gate that uploads its batch twice: answered as the first time, recorded once.
    const before = await logLength();
    await scan({ code: ticket.code, gate: 'Offline-1', scannedAt: minutesAgo(0.5) }).expect(200);
    const replayed = await scan({ code: ticket.code, gate: 'Offline-2', scannedAt: minutesAgo(0.25) }).expect(409);
    expect(replayed.body.result).toBe('ALREADY_ADMITTED');
    expect(await logLength()).toBe(before);

    const history = (await http().get(`/bookings/${bookingId}/history`).set('authorization', token).expect(200)).body as { type: string; data: Record<string, unknown>; stateAfter: { admissions: unknown[] } }[];
    const scans = history.filter((h) => h.type === 'TicketAdmitted' || h.type === 'DuplicateScanRecorded');
    expect(scans.map((h) => [h.type, h.data.gate])).toEqual([['TicketAdmitted', 'North'], ['TicketAdmitted', 'Offline-1'], ['DuplicateScanRecorded', 'Offline-2']]);
    expect(scans[1].data.supersedes).toEqual({ at: online.body.scannedAt, gate: 'North' });
    expect(history.at(-1)!.stateAfter.admissions).toEqual([{ ticketId: ticket.ticketId, seatId: seats[8].seatId, admitted: { at: minutesAgo(0.5), gate: 'Offline-1' }, duplicates: 2 }]);

    // The read model follows: one admission, by the offline gate.
    const rows = await eventually(async () => {
      const found = (await http().get(`/events/${eventId}/attendance`).set('authorization', gate).expect(200)).body;
      return found.byGate['Offline-1'] === 1 ? found : undefined;
    }, 10_000, 'the attendance');
    expect(rows.byGate.North).toBeUndefined();
  });

  it('voids the tickets of a booking cancelled since, and writes nothing', async () => {
    const { bookingId, token, tickets } = await confirmed('auth0|frank', [seats[9].seatId]);
    await http().post(`/bookings/${bookingId}/cancel`).set('authorization', token).expect(200);
    const before = await logLength();
    const answer = await scan({ code: tickets[0].code, gate: 'North' }).expect(409);
    expect(answer.body).toMatchObject({ type: expect.stringMatching(/ticket-void$/), result: 'VOID', reason: 'booking-not-confirmed', ticketId: tickets[0].ticketId });
    await http().get(`/bookings/${bookingId}/tickets`).set('authorization', token).expect(409);
    expect(await logLength()).toBe(before);
  });

  it('voids every ticket of a cancelled event', async () => {
    const other = await publishedEvent(apps[0], 1, 4, admin);
    const { tickets } = await confirmed('auth0|grace', [other.seats[0].seatId], other.eventId);
    await http().post(`/events/${other.eventId}/cancel`).set('authorization', admin).expect(200);
    const before = await logLength();
    const answer = await scan({ code: tickets[0].code }, 1, other.eventId).expect(409);
    expect(answer.body).toMatchObject({ result: 'VOID', reason: 'event-cancelled' });
    expect(await logLength()).toBe(before);
  });

  it('refuses forged, foreign, garbage and huge codes, and bad scans, with a 400 that writes nothing', async () => {
    const { tickets } = await confirmed('auth0|heidi', [seats[10].seatId]);
    const other = await publishedEvent(apps[0], 1, 2, admin);
    const foreign = (await confirmed('auth0|ivan', [other.seats[0].seatId], other.eventId)).tickets[0].code;
    const [header, payload, signature] = tickets[0].code.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forgedSeat = `${header}.${Buffer.from(JSON.stringify({ ...claims, sid: seats[11].seatId })).toString('base64url')}.${signature}`;
    const flipped = `${header}.${payload}.${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    const noneAlg = `${Buffer.from(JSON.stringify({ alg: 'none', kid: decodeProtectedHeader(tickets[0].code).kid })).toString('base64url')}.${payload}.`;
    const before = await logLength();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ code: forgedSeat }, /signature/],
      [{ code: flipped }, /signature/],
      [{ code: noneAlg }, /signature|not signed/],
      [{ code: foreign }, /another event/],
      [{ code: 'garbage' }, /not a ticket code/],
      [{ code: 'a.b.c' }, /not a ticket code/],
      [{ code: 'x'.repeat(5_000) }, /at most 2048/],
      [{}, /code/],
      [{ code: 42 }, /code/],
      [{ code: tickets[0].code, gate: 'g'.repeat(101) }, /gate/],
      [{ code: tickets[0].code, gate: 'bad\ngate' }, /gate/],
      [{ code: tickets[0].code, scannedAt: 'yesterday' }, /scannedAt/],
      [{ code: tickets[0].code, scannedAt: new Date(Date.now() + 3_600_000).toISOString() }, /future/],
      [{ code: tickets[0].code, scannedAt: '2020-01-01T00:00:00Z' }, /before the ticket was issued/],
    ];
    for (const [body, detail] of cases) {
      const answer = await scan(body);
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(answer.body.detail).toMatch(detail);
    }
    await http().post(`/events/${eventId}/check-ins`).set('authorization', await bearer('auth0|buyer')).send({ code: tickets[0].code }).expect(403);
    await http().post(`/events/00000000-0000-4000-8000-000000000000/check-ins`).set('authorization', gate).send({ code: tickets[0].code }).expect(404);
    expect(await logLength()).toBe(before);
    // The real one still admits.
    await scan({ code: tickets[0].code, gate: 'North' }).expect(200);
  });

  it('rotates keys: codes issued before still admit until their key is revoked', async () => {
    const third = await publishedEvent(apps[0], 1, 3, admin);
    const { bookingId, token, tickets: before } = await confirmed('auth0|judy', [third.seats[0].seatId, third.seats[1].seatId], third.eventId);
    const keys = apps[0].get(TicketKeys);
    const old = decodeProtectedHeader(before[0].code).kid as string;
    const rotated = await keys.rotate(third.eventId);
    expect(rotated.kid).not.toBe(old);
    const after = (await http().get(`/bookings/${bookingId}/tickets`).set('authorization', token).expect(200)).body.tickets as Ticket[];
    expect(decodeProtectedHeader(after[1].code).kid).toBe(rotated.kid);
    expect((await http().get(`/events/${third.eventId}/ticket-keys`).expect(200)).body.keys.map((k: { kid: string }) => k.kid)).toEqual([rotated.kid, old]);
    await scan({ code: before[0].code }, 0, third.eventId).expect(200);
    expect(await keys.revoke(third.eventId, old)).toBe(true);
    const revoked = await scan({ code: before[1].code }, 0, third.eventId).expect(400);
    expect(revoked.body.detail).toMatch(/not signed with a key of this event/);
    await scan({ code: after[1].code }, 0, third.eventId).expect(200);
  });
});
