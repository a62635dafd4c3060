import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { appUrl, startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent, type SeatOfVenue } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { SeatMapFeed } from '../src/read/catalog/seat-map.feed.js';
import { openSse, type SseMessage } from './support/sse.js';

/** GET /events/:eventId/seat-map/stream: the live seat map the console draws, without a browser. */
describe('the live seat map (Server-Sent Events)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let url: string;
  let alice: string;
  let eventId: string;
  let seats: SeatOfVenue[];
  const streams: Awaited<ReturnType<typeof openSse>>[] = [];
  const http = () => request(app.getHttpServer());
  const stream = async (query = '', headers: Record<string, string> = {}) => {
    const opened = await openSse(`${url}/events/${eventId}/seat-map/stream${query}`, headers);
    streams.push(opened);
    return opened;
  };
  const place = async (seatIds: string[]) =>
    (await http().post('/bookings').set('authorization', alice).send({ eventId, seatIds }).expect(201)).body as { id: string; position: string };
  /** Every seat change the stream sent, in order. */
  const changesIn = (messages: SseMessage[]) => messages.filter((m) => m.event === 'changes').flatMap((m) => m.data.seats as { seatId: string; status: string }[]);
  const has = (...expected: { seatId: string; status: string }[]) => (messages: SseMessage[]) =>
    expected.every((e) => changesIn(messages).some((c) => c.seatId === e.seatId && c.status === e.status));
  const bySeat = (a: { seatId: string }, b: { seatId: string }) => a.seatId.localeCompare(b.seatId);
  const ticks = (n: number) => new Promise((resolve) => setTimeout(resolve, n * 250));

  beforeAll(async () => {
    database = await createTestDatabase('seat_map_stream');
    app = await startApp({ DATABASE_URL: database.url });
    url = await appUrl(app);
    alice = await bearer('auth0|alice');
    let position: string;
    ({ eventId, seats, position } = await publishedEvent(app, 2, 5));
    // As a client that needs its own writes would: the stream and the seat map answer from the read models.
    await http().get(`/events/${eventId}/seat-map`).set('x-min-position', position).expect(200);
  });
  let closed = false;
  afterAll(async () => {
    for (const opened of streams) opened.close();
    if (!closed) await app?.close();
    await database?.drop();
  });

  it('sends the seat map first, then each change as bookings happen, with the position as the message id', async () => {
    const live = await stream();
    expect(live.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const [snapshot] = await live.until((m) => m.length >= 1);
    expect(snapshot).toMatchObject({ event: 'snapshot', id: snapshot.data.position, data: { eventId, counts: { AVAILABLE: 10, RESERVED: 0, SOLD: 0, HELD: 0, total: 10 } } });
    expect(snapshot.data.seats[0]).toEqual({ seatId: seats[0].seatId, section: '', row: 'A', number: 1, type: 'VIP', rank: 4, price: '120.00', status: 'AVAILABLE' }); // rank: 4 half seats from the middle of 1-5

    const booking = await place([seats[0].seatId, seats[1].seatId]);
    await live.until(has({ seatId: seats[0].seatId, status: 'RESERVED' }, { seatId: seats[1].seatId, status: 'RESERVED' }));
    await http().post(`/bookings/${booking.id}/payments`).set('authorization', alice).send({ paymentMethod: 'pm_card_visa' }).expect(202);
    await live.until(has({ seatId: seats[0].seatId, status: 'SOLD' }, { seatId: seats[1].seatId, status: 'SOLD' }));
    await ticks(3);
    // Nothing but those changes, each once, and every id is the position of the message's last change, ascending.
    const changes = changesIn(live.messages);
    const pair = (status: string) => [seats[0], seats[1]].map((s) => ({ seatId: s.seatId, status })).sort(bySeat);
    expect([changes.slice(0, 2).sort(bySeat), changes.slice(2).sort(bySeat)]).toEqual([pair('RESERVED'), pair('SOLD')]);
    const ids = live.messages.map((m) => m.id as string);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of live.messages) expect(m.id).toBe(m.data.position);
  });

  it('resumes after Last-Event-ID (or ?after=) with exactly the changes after it', async () => {
    const before = (await http().get(`/events/${eventId}/seat-map`).expect(200)).body.position as string;
    const first = await place([seats[2].seatId]);
    const second = await place([seats[3].seatId, seats[4].seatId]);
    const reserved = (s: SeatOfVenue) => ({ seatId: s.seatId, status: 'RESERVED' });

    const fromBefore = await stream('', { 'last-event-id': before });
    await fromBefore.until(has(reserved(seats[2]), reserved(seats[3]), reserved(seats[4])));
    // Resuming after the first booking's position: the second's seats only, and no snapshot.
    const fromFirst = await stream(`?after=${first.position}`);
    await fromFirst.until(has(reserved(seats[3]), reserved(seats[4])));
    await ticks(3);
    const sorted = (changes: { seatId: string }[]) => [...changes].sort(bySeat);
    expect(sorted(changesIn(fromBefore.messages))).toEqual(sorted([seats[2], seats[3], seats[4]].map(reserved)));
    expect(sorted(changesIn(fromFirst.messages))).toEqual(sorted([seats[3], seats[4]].map(reserved)));
    expect([...fromBefore.messages, ...fromFirst.messages].map((m) => m.event)).not.toContain('snapshot');
    expect(fromFirst.messages.at(-1)?.id).toBe(fromBefore.messages.at(-1)?.id);
    expect(fromFirst.messages.at(-1)!.id! <= second.position).toBe(true);

    // Resuming from the last id seen: nothing, until something changes.
    const caughtUp = await stream('', { 'last-event-id': fromFirst.messages.at(-1)!.id! });
    await ticks(3);
    expect(caughtUp.messages).toEqual([]);
  });

  it('answers 404 for an unknown event and 400 for a Last-Event-ID that is no position', async () => {
    await http().get(`/events/${randomUUID()}/seat-map/stream`).expect(404).expect('content-type', /problem\+json/);
    await http().get(`/events/${eventId}/seat-map/stream`).set('last-event-id', 'yesterday').expect(400);
    await http().get(`/events/${eventId}/seat-map/stream?after=nope`).expect(400);
  });

  it('is in the OpenAPI document', async () => {
    const document = (await http().get('/docs-json').expect(200)).body;
    const operation = document.paths['/events/{eventId}/seat-map/stream'].get;
    expect(operation.responses['200'].content).toHaveProperty(['text/event-stream']);
    expect(operation.parameters.map((p: { name: string; required: boolean }) => [p.name, p.required])).toEqual([['eventId', true], ['after', false], ['Last-Event-ID', false]]);
  });

  it('lets go of a client that hangs up, and ends open streams when the service shuts down', async () => {
    const watching = () => [...(app.get(SeatMapFeed) as unknown as { watchers: Map<string, Set<unknown>> }).watchers.values()].reduce((n, set) => n + set.size, 0);
    for (const opened of streams) opened.close();
    for (const deadline = Date.now() + 5_000; watching() > 0 && Date.now() < deadline; ) await ticks(1);
    expect(watching()).toBe(0);

    const open = await stream();
    await open.until((m) => m.length >= 1);
    expect(watching()).toBe(1);
    closed = true;
    await app.close(); // would hang while a stream stayed open
    await open.ended;
  });
});
