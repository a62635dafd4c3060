/// <reference lib="dom" />
import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdir } from 'node:fs/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import request from 'supertest';
import { appUrl, startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent, type SeatOfVenue } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { eventually } from './support/eventually.js';

type Ticket = { ticketId: string; seatId: string; section: string; row: string; number: number; code: string; qrSvg: string };

/** What console.js exposes to the page (window.eventixConsole), as far as this test asks it. */
type ConsoleHooks = {
  seatStatus: (seatId: string) => string | undefined;
  seatColour: (seatId: string) => string;
  edgeColour: (seatId: string) => string;
  colours: Record<string, string>;
  highlightColour: string;
  counts: () => Record<string, number>;
  sections: () => string[];
  highlighted: () => string[];
  received: () => { position: string; seatIds: string[] }[];
  disconnect: () => void;
  connect: () => void;
  /** What the door view shows; null figures while a message stands in for them. */
  door: () => { shown: boolean; message: string; admitted: number | null; tickets: number | null; duplicates: number | null; byGate: Record<string, number> | null };
};
declare global {
  interface Window {
    eventixConsole: ConsoleHooks;
    notReloaded?: boolean;
  }
}

const SCREENSHOTS = 'test-output/console';

/** '#8a6fbf' as getComputedStyle says it: 'rgb(138, 111, 191)'. */
const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

/**
 * The operator console in Debian's Chromium (global setup installs it; playwright-core drives it):
 * the seat map follows bookings made through the API without a reload, and a booking's timeline
 * shows each of its events; a venue's sections are drawn apart, an organiser's holds show live, and
 * a buyer books best available from the page; the door view follows check-ins live.
 */
describe('the operator console in a browser', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let browser: Browser;
  let page: Page;
  let url: string;
  let alice: string;
  let eventId: string;
  let seats: SeatOfVenue[];
  let paidBooking: string;
  const http = () => request(app.getHttpServer());
  const place = async (seatIds: string[], token = alice) =>
    (await http().post('/bookings').set('authorization', token).send({ eventId, seatIds }).expect(201)).body as { id: string; position: string };
  const waitForStatus = (seatIds: string[], status: string) =>
    page.waitForFunction(([ids, wanted]) => ids.every((id) => window.eventixConsole.seatStatus(id) === wanted), [seatIds, status] as const, { timeout: 15_000 });
  const colours = (seatIds: string[]) => page.evaluate((ids) => ids.map((id) => window.eventixConsole.seatColour(id)), seatIds);
  const edges = (seatIds: string[]) => page.evaluate((ids) => ids.map((id) => window.eventixConsole.edgeColour(id)), seatIds);
  const useToken = async (token: string, userId: string) => {
    await page.fill('#token', token.replace(/^Bearer /, ''));
    await page.click('#token-form button');
    await page.waitForSelector(`#who:has-text("${userId}")`);
  };

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    database = await createTestDatabase('console');
    // A handful of users stand for a whole crowd here, each holding far more than one buyer may.
    app = await startApp({ DATABASE_URL: database.url, MAX_SEATS_PER_USER_PER_EVENT: '10000' });
    url = await appUrl(app);
    alice = await bearer('auth0|alice', { expiresIn: '1h' });
    ({ eventId, seats } = await publishedEvent(app, 16, 40));
    const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
    // --no-sandbox: the suite may run as root (CI containers), where Chromium's sandbox refuses to start.
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  it('draws the seat map and recolours seats as bookings happen through the API, without a reload', async () => {
    await page.goto(`${url}/console`);
    await useToken(alice, 'auth0|alice');
    await page.waitForSelector(`#event option[value="${eventId}"]`, { state: 'attached' });
    await page.selectOption('#event', eventId);
    await page.waitForSelector('#stream-state[data-state="live"]');
    expect(await page.evaluate(() => window.eventixConsole.counts())).toEqual({ AVAILABLE: 640, RESERVED: 0, SOLD: 0, HELD: 0, total: 640 });
    // A venue without sections: one map, no section label, no section to choose.
    expect(await page.evaluate(() => window.eventixConsole.sections())).toEqual([]);
    expect(await page.$$('#seat-map canvas')).toHaveLength(1);
    expect(await page.isDisabled('#best-section')).toBe(true);
    expect(await page.textContent('#prices')).toContain('VIP 120.00');
    const palette = await page.evaluate(() => window.eventixConsole.colours);
    expect(await colours([seats[0].seatId])).toEqual([palette.AVAILABLE]);
    await page.evaluate(() => (window.notReloaded = true));

    const sold = seats.slice(45, 51).map((s) => s.seatId);
    const held = seats.slice(130, 134).map((s) => s.seatId);
    const booking = await place(sold);
    await place(held);
    await waitForStatus([...sold, ...held], 'RESERVED');
    expect(await colours(sold)).toEqual(sold.map(() => palette.RESERVED));

    await http().post(`/bookings/${booking.id}/payments`).set('authorization', alice).send({ paymentMethod: 'pm_card_visa' }).expect(202);
    await waitForStatus(sold, 'SOLD');
    expect(await colours(sold)).toEqual(sold.map(() => palette.SOLD));
    expect(await colours(held)).toEqual(held.map(() => palette.RESERVED));
    expect(await page.evaluate(() => window.eventixConsole.counts())).toEqual({ AVAILABLE: 630, RESERVED: 4, SOLD: 6, HELD: 0, total: 640 });
    expect(await page.textContent('#counts')).toContain('SOLD 6');
    expect(await page.evaluate(() => window.notReloaded)).toBe(true);
    paidBooking = booking.id;
    await page.screenshot({ path: `${SCREENSHOTS}/seat-map.png`, fullPage: true });
  });

  it('misses and repeats nothing across a reconnect', async () => {
    await page.evaluate(() => window.eventixConsole.disconnect());
    const before = await page.evaluate(() => window.eventixConsole.received().length);
    const whileAway = seats.slice(300, 303).map((s) => s.seatId);
    const booking = await place(whileAway);
    // Caught up on the read side before the page comes back: it must get them from its position on.
    await http().get(`/events/${eventId}/seat-map`).set('x-min-position', booking.position).expect(200);
    await page.evaluate(() => window.eventixConsole.connect());
    await waitForStatus(whileAway, 'RESERVED');
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // a few of the stream's ticks: anything repeated would show now
    const after = await page.evaluate((n) => window.eventixConsole.received().slice(n), before);
    expect(after.flatMap((m) => m.seatIds).sort()).toEqual([...whileAway].sort());
    const served = (await http().get(`/events/${eventId}/seat-map`).expect(200)).body;
    expect(await page.evaluate(() => window.eventixConsole.counts())).toEqual(served.counts);
  });

  it("opens a booking's audit timeline and finds each of its events, in order, with who and why", async () => {
    const history = (await http().get(`/bookings/${paidBooking}/history`).set('authorization', alice).expect(200)).body as {
      type: string;
      metadata: { correlationId: string };
    }[];
    expect(history.map((e) => e.type)).toEqual(['BookingPlaced', 'PaymentRequested', 'PaymentProcessing', 'PaymentSucceeded', 'BookingConfirmed']);
    await page.fill('#booking-id', paidBooking);
    await page.click('#booking-form button:not([type])');
    await page.waitForSelector('#timeline li[data-type="BookingConfirmed"]');
    expect(await page.$$eval('#timeline li', (items) => items.map((li) => (li as HTMLElement).dataset.type))).toEqual(history.map((e) => e.type));
    const placed = await page.textContent('#timeline li[data-type="BookingPlaced"]');
    expect(placed).toContain('by auth0|alice');
    expect(placed).toContain(`correlation ${history[0].metadata.correlationId}`);
    expect(placed).toContain('"status": "PENDING"');
    const confirmed = await page.textContent('#timeline li[data-type="BookingConfirmed"]');
    expect(confirmed).toContain('state after: CONFIRMED · changed status, ticketReference');
    expect(confirmed).toContain('by (the system)');
    await page.locator('#timeline-section').screenshot({ path: `${SCREENSHOTS}/timeline.png` });

    // Another user's token sees none of it.
    const bob = await bearer('auth0|bob', { expiresIn: '1h' });
    await page.fill('#token', bob.replace(/^Bearer /, ''));
    await page.click('#token-form button');
    await page.click('#booking-form button:not([type])');
    await page.waitForSelector('#timeline-message:has-text("Not found, or not yours.")');
    expect(await page.$$('#timeline li')).toHaveLength(0);
  });

  it('stays smooth on a 20,000-seat event during a hot on-sale: few messages, short frames', async () => {
    const big = await publishedEvent(app, 100, 200);
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      if ((await http().get(`/events/${big.eventId}/seat-map`)).body.counts?.total === 20_000) break;
    }
    await page.reload();
    await page.waitForSelector(`#event option[value="${big.eventId}"]`, { state: 'attached' });
    await page.selectOption('#event', big.eventId);
    await page.waitForSelector('#stream-state[data-state="live"]');
    expect(await page.evaluate(() => window.eventixConsole.counts().total)).toBe(20_000);
    // The longest piece of main-thread work from here on (Chromium reports tasks over 50 ms).
    await page.evaluate(() => {
      (window as unknown as { longest: number }).longest = 0;
      new PerformanceObserver((list) => {
        for (const task of list.getEntries()) (window as unknown as { longest: number }).longest = Math.max((window as unknown as { longest: number }).longest, task.duration);
      }).observe({ type: 'longtask' });
    });

    // 100 bookings of 10 seats, 20 at a time, from many buyers.
    const buyers = await Promise.all(Array.from({ length: 20 }, (_, i) => bearer(`auth0|buyer-${i}`, { expiresIn: '1h' })));
    const started = Date.now();
    await Promise.all(
      buyers.map(async (buyer, b) => {
        for (let n = b; n < 100; n += buyers.length) {
          const seatIds = big.seats.slice(n * 10, n * 10 + 10).map((s) => s.seatId);
          await http().post('/bookings').set('authorization', buyer).send({ eventId: big.eventId, seatIds }).expect(201);
        }
      }),
    );
    await page.waitForFunction(() => window.eventixConsole.counts().RESERVED === 1_000, undefined, { timeout: 20_000 });
    const messages = await page.evaluate(() => window.eventixConsole.received().length);
    const longest = await page.evaluate(() => (window as unknown as { longest: number }).longest);
    process.stdout.write(`20,000 seats: 100 bookings in ${Date.now() - started} ms reached the page in ${messages} messages; longest task ${longest} ms\n`);
    expect(messages).toBeLessThan(50); // batched per tick, not one message per booking
    expect(longest).toBeLessThan(250); // no full redraw per change
    await page.screenshot({ path: `${SCREENSHOTS}/seat-map-20000.png` });
  });
  it("draws a venue's sections apart, shows an organiser's holds live, and books best available from the page", async () => {
    // Two sections of 4 rows × 12 seats: in each, row A VIP, B REGULAR, C and D ECONOMY.
    const venue = await publishedEvent(app, 4, 12, undefined, ['Left', 'Right']);
    const byId = new Map(venue.seats.map((seat) => [seat.seatId, seat]));
    const at = (section: string, row: string, from: number, to: number) =>
      venue.seats.filter((s) => s.section === section && s.row === row && s.number >= from && s.number <= to).map((s) => s.seatId);
    const carol = await bearer('auth0|carol', { expiresIn: '1h' });
    await page.reload();
    await useToken(carol, 'auth0|carol');
    await page.waitForSelector(`#event option[value="${venue.eventId}"]`, { state: 'attached' });
    await page.selectOption('#event', venue.eventId);
    await page.waitForSelector('#stream-state[data-state="live"]');
    const palette = await page.evaluate(() => window.eventixConsole.colours);
    const outline = await page.evaluate(() => window.eventixConsole.highlightColour);

    // Each section under its label, in a box of its own: their rows A do not fall on each other.
    expect(await page.$$eval('#seat-map figcaption', (captions) => captions.map((caption) => caption.textContent))).toEqual(['Left', 'Right']);
    expect(await page.evaluate(() => window.eventixConsole.sections())).toEqual(['Left', 'Right']);
    const [left, right] = await page.$$eval('#seat-map canvas', (canvases) => canvases.map((canvas) => canvas.getBoundingClientRect().toJSON() as DOMRect));
    expect(left.right <= right.left || left.bottom <= right.top).toBe(true);
    expect(await page.$$eval('#best-section option', (options) => options.map((option) => option.textContent))).toEqual(['any', 'Left', 'Right']);
    expect(await page.evaluate(() => window.eventixConsole.counts())).toEqual({ AVAILABLE: 96, RESERVED: 0, SOLD: 0, HELD: 0, total: 96 });

    // The organiser keeps the middle of Left's VIP row back: HELD on the page, live, in its own colour.
    const held = at('Left', 'A', 5, 8);
    const hold = (await http().post(`/events/${venue.eventId}/holds`).set('authorization', venue.admin).send({ seatIds: held, reason: 'Sponsors' }).expect(201)).body as {
      holdId: string;
    };
    await waitForStatus(held, 'HELD');
    expect(await colours(held)).toEqual(held.map(() => palette.HELD));
    expect(new Set([palette.AVAILABLE, palette.RESERVED, palette.SOLD, palette.HELD, outline]).size).toBe(5);
    expect(await colours([...at('Left', 'A', 4, 4), ...at('Right', 'A', 5, 5)])).toEqual([palette.AVAILABLE, palette.AVAILABLE]);
    expect(await page.evaluate(() => window.eventixConsole.counts())).toEqual({ AVAILABLE: 92, RESERVED: 0, SOLD: 0, HELD: 4, total: 96 });
    await page.waitForSelector('#counts li:has-text("HELD 4")');
    expect(await page.$eval('#counts .swatch.HELD', (swatch) => getComputedStyle(swatch).backgroundColor)).toBe(rgb(palette.HELD));

    // Best available: 2 ECONOMY seats in Right. The page says which, and outlines them on the map.
    expect(await page.getAttribute('#best-result', 'aria-live')).toBe('polite');
    expect(await page.isVisible('#highlight-key')).toBe(false);
    await page.fill('#best-quantity', '2');
    await page.selectOption('#best-type', 'ECONOMY');
    await page.selectOption('#best-section', { label: 'Right' });
    await page.click('#best-submit');
    await page.waitForSelector('#best-result[data-outcome="booked"]');
    const chosen = await page.evaluate(() => window.eventixConsole.highlighted());
    const got = chosen.map((seatId) => byId.get(seatId)!).sort((a, b) => a.number - b.number);
    expect(got).toHaveLength(2);
    expect(got.map((seat) => `${seat.section} ${seat.row} ${seat.type}`)).toEqual([0, 1].map(() => `Right ${got[0].row} ECONOMY`));
    expect(got[1].number).toBe(got[0].number + 1);
    const result = await page.textContent('#best-result');
    for (const seat of got) expect(result).toContain(`Right · row ${seat.row} seat ${seat.number} · 19.99`);
    expect(result).toContain('total 39.98');
    // The seats the service booked for carol, no others.
    const bookingId = await page.inputValue('#booking-id');
    const booking = await eventually(async () => {
      const response = await http().get(`/bookings/${bookingId}`).set('authorization', carol);
      return response.status === 200 ? (response.body as { items: { seatId: string }[] }) : undefined;
    }, 15_000, 'the booking in the read model');
    expect(booking.items.map((item) => item.seatId).sort()).toEqual([...chosen].sort());
    await waitForStatus(chosen, 'RESERVED');
    expect(await colours(chosen)).toEqual(chosen.map(() => palette.RESERVED)); // the middle: its status
    expect(await edges(chosen)).toEqual(chosen.map(() => outline)); // the edge: outlined
    expect(await edges(held)).toEqual(held.map(() => palette.HELD)); // others are not
    expect(await page.isVisible('#highlight-key')).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}/sections.png`, fullPage: true });

    // 5 VIP seats side by side in Left: the hold split its 12 in two fours. The page says so, as the service does.
    const ask = { eventId: venue.eventId, quantity: 5, seatType: 'VIP', section: 'Left' };
    const refused = await http().post('/bookings').set('authorization', carol).send(ask).expect(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: expect.stringMatching(/not-enough-seats$/), available: 8 });
    await page.fill('#best-quantity', '5');
    await page.selectOption('#best-type', 'VIP');
    await page.selectOption('#best-section', { label: 'Left' });
    await page.click('#best-submit');
    await page.waitForSelector('#best-result[data-outcome="refused"]');
    const refusal = await page.textContent('#best-result');
    expect(refusal).toContain(refused.body.detail);
    expect(refusal).toContain('Free seats of that kind: 8');
    expect(await page.evaluate(() => window.eventixConsole.highlighted())).toEqual([]);
    await page.waitForFunction((ids) => ids.every((id) => window.eventixConsole.edgeColour(id) !== window.eventixConsole.highlightColour), chosen);

    // The hold released: its seats are for sale again, on the page too.
    await http().delete(`/events/${venue.eventId}/holds/${hold.holdId}`).set('authorization', venue.admin).expect(200);
    await waitForStatus(held, 'AVAILABLE');
    expect(await colours(held)).toEqual(held.map(() => palette.AVAILABLE));
    await page.waitForFunction(() => window.eventixConsole.counts().HELD === 0);
    expect(await page.evaluate(() => window.eventixConsole.counts())).toEqual({ AVAILABLE: 94, RESERVED: 2, SOLD: 0, HELD: 0, total: 96 });
  });

  it("shows the door's attendance live: admissions by gate and duplicates as gates scan, and polls only while open", async () => {
    const night = await publishedEvent(app, 2, 10);
    // dave's 2 seats, paid and confirmed: 2 tickets.
    const dave = await bearer('auth0|dave', { expiresIn: '1h' });
    const booked = await http()
      .post('/bookings')
      .set('authorization', dave)
      .send({ eventId: night.eventId, seatIds: night.seats.slice(3, 5).map((s) => s.seatId) })
      .expect(201);
    await http().post(`/bookings/${booked.body.id}/payments`).set('authorization', dave).send({ paymentMethod: 'pm_card_visa' }).expect(202);
    await eventually(async () => (await http().get(`/bookings/${booked.body.id}`).set('authorization', dave)).body.status === 'CONFIRMED' || undefined, 15_000, 'the confirmation');
    const { tickets } = (await http().get(`/bookings/${booked.body.id}/tickets`).set('authorization', dave).expect(200)).body as { tickets: Ticket[] };
    expect(tickets).toHaveLength(2);
    const door = () => page.evaluate(() => window.eventixConsole.door());
    const attendanceAsked: string[] = []; // the page's requests for attendance, of whatever event
    const count = (request: { url: () => string }) => void (/\/attendance$/.test(request.url()) && attendanceAsked.push(request.url()));
    page.on('request', count);

    await page.goto(`${url}/console`);
    // A buyer's token does not open the door: the page says what it needs, and shows no numbers.
    await useToken(dave, 'auth0|dave');
    await page.waitForSelector(`#event option[value="${night.eventId}"]`, { state: 'attached' });
    await page.selectOption('#event', night.eventId);
    expect(await page.isVisible('#door')).toBe(false);
    await page.click('#door-toggle');
    await page.waitForSelector('#door-message:has-text("The door needs a token with checkin:write")');
    expect(await door()).toMatchObject({ shown: true, admitted: null, tickets: null, byGate: null });
    expect(await page.isVisible('#door-figures')).toBe(false);

    // Gate staff's token: the figures, without reopening the view.
    const staff = await bearer('auth0|door-staff', { permissions: ['checkin:write'], expiresIn: '1h' });
    await useToken(staff, 'auth0|door-staff');
    await page.waitForSelector('#door-figures', { state: 'visible' });
    expect(await door()).toEqual({ shown: true, message: '', admitted: 0, tickets: 2, duplicates: 0, byGate: {} });
    expect(await page.innerText('#door-summary')).toMatch(/0\s*\/\s*2\s+admitted/);
    await page.evaluate(() => (window.notReloaded = true));

    // A gate scans one ticket: the door shows it by itself (the next poll), without a reload.
    const scan = (code: string, gate: string) => http().post(`/events/${night.eventId}/check-ins`).set('authorization', staff).send({ code, gate });
    expect((await scan(tickets[0].code, 'North 3').expect(200)).body).toMatchObject({ result: 'ADMITTED' });
    await eventually(async () => (await door()).admitted === 1, 10_000, 'the admission on the page');
    expect(await door()).toMatchObject({ admitted: 1, tickets: 2, duplicates: 0, byGate: { 'North 3': 1 } });
    expect(await page.innerText('#door-summary')).toMatch(/1\s*\/\s*2\s+admitted \(50%\)/);
    expect(await page.$$eval('#door-gates tbody tr', (rows) => rows.map((row) => (row as HTMLTableRowElement).cells[0].textContent))).toEqual(['North 3']);

    // The same ticket again: refused, and counted as a duplicate.
    expect((await scan(tickets[0].code, 'North 3').expect(409)).body).toMatchObject({ result: 'ALREADY_ADMITTED' });
    await eventually(async () => (await door()).duplicates === 1, 10_000, 'the duplicate on the page');
    expect(await door()).toMatchObject({ admitted: 1, tickets: 2, duplicates: 1, byGate: { 'North 3': 1 } });
    expect(await page.innerText('#door-summary')).toContain('duplicates refused: 1');

    // The other ticket at another gate: gates by name, every ticket in.
    await scan(tickets[1].code, 'East 1').expect(200);
    await eventually(async () => (await door()).admitted === 2, 10_000, 'the second admission on the page');
    expect(await door()).toMatchObject({ admitted: 2, tickets: 2, duplicates: 1, byGate: { 'East 1': 1, 'North 3': 1 } });
    expect(await page.$$eval('#door-gates tbody tr', (rows) => rows.map((row) => (row as HTMLTableRowElement).cells[0].textContent))).toEqual(['East 1', 'North 3']);
    expect(await page.innerText('#door-summary')).toContain('(100%)');
    expect(await page.evaluate(() => window.notReloaded)).toBe(true);
    await page.locator('#door-section').screenshot({ path: `${SCREENSHOTS}/door.png` });

    // Closed and opened, another event and back: one polling only, of the event shown, every 2 s.
    const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await page.click('#door-toggle');
    await page.click('#door-toggle');
    await page.selectOption('#event', eventId);
    await page.selectOption('#event', night.eventId);
    await page.click('#door-toggle');
    await page.click('#door-toggle');
    await settle(500);
    const before = attendanceAsked.length;
    await settle(4_000);
    const during = attendanceAsked.slice(before);
    expect(during.length).toBeGreaterThanOrEqual(1);
    expect(during.length).toBeLessThanOrEqual(2); // 2 s apart at least: 3 or more would be stacked pollers
    expect(during.every((asked) => asked.endsWith(`/events/${night.eventId}/attendance`))).toBe(true);
    expect(await door()).toMatchObject({ admitted: 2, tickets: 2, duplicates: 1 });

    // Closed: no more asking.
    await page.click('#door-toggle');
    expect(await page.isVisible('#door')).toBe(false);
    await settle(500);
    const closed = attendanceAsked.length;
    await settle(2_500);
    expect(attendanceAsked.length).toBe(closed);
    page.off('request', count);
  });
});
