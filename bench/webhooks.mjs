// Webhook delivery lag during an on-sale: one event of SEATS seats, CLIENTS buyers racing for the best seats
// (as bench/onsale.mjs's buyers do: Zipf-like choice, 409s teach them what is taken), every other booking paid,
// while outbound webhooks subscribed to every integration event deliver to endpoints in this process. Lag is
// measured where a receiver would: the moment its endpoint gets an event (the first 2xx-answered request of each
// event id) minus the event's `time` (when it was appended). Two layouts, side by side in each run, alternating
// which goes first: the healthy endpoint alone, and the same beside an endpoint that fails every request (503).
// Usage: node bench/webhooks.mjs [runs=3] [seats=10000] [clients=200]
import { createServer } from 'node:http';
import { INTEGRATION_EVENT_TYPES } from '../dist/src/projections/integration-events.js';
import { benchDatabase, httpClient, machine, median, percentile, startServer, stopServer, summary, token } from './support.mjs';

const runs = Number(process.argv[2] ?? 3);
const SEATS = Number(process.argv[3] ?? 10_000);
const CLIENTS = Number(process.argv[4] ?? 200);
/** A sale stops here if not sold out; then the endpoints get until DRAIN_LIMIT_MS to receive what was appended. */
const TIME_LIMIT_MS = Number(process.env.WEBHOOK_BENCH_TIME_LIMIT_S ?? 60) * 1000;
const DRAIN_LIMIT_MS = 60_000;
const { http, close: closeHttp } = httpClient(CLIENTS + 10);

const rng = (seed) => () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);

/** An endpoint on 127.0.0.1: answers `status`, and keeps each event's first 2xx delivery's lag. */
const endpoint = async (status) => {
  const lags = new Map();
  let requests = 0;
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      requests++;
      if (status < 300) {
        const envelope = JSON.parse(Buffer.concat(chunks).toString());
        if (!lags.has(envelope.id)) lags.set(envelope.id, Date.now() - Date.parse(envelope.time));
      }
      response.writeHead(status).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, lags, requests: () => requests, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))) };
};

const seed = async (port) => {
  const admin = await token('bench|organiser', ['catalog:write']);
  const venue = await http(port, 'POST', '/venues', { auth: admin, body: { name: 'Arena', capacity: SEATS } });
  const seats = Array.from({ length: SEATS }, (_, i) => ({ row: `R${String(Math.floor(i / 100)).padStart(3, '0')}`, number: (i % 100) + 1, type: i < SEATS * 0.1 ? 'VIP' : i < SEATS * 0.5 ? 'REGULAR' : 'ECONOMY' }));
  for (let i = 0; i < seats.length; i += 1_000) await http(port, 'POST', `/venues/${venue.body.id}/seats`, { auth: admin, body: { seats: seats.slice(i, i + 1_000) } });
  const prices = [{ seatType: 'VIP', price: '150.00' }, { seatType: 'REGULAR', price: '60.00' }, { seatType: 'ECONOMY', price: '25.00' }];
  const event = await http(port, 'POST', '/events', { auth: admin, body: { venueId: venue.body.id, name: 'Hot on-sale', startTime: '2030-01-01T20:00:00Z', endTime: '2030-01-01T23:00:00Z', prices } });
  const published = await http(port, 'POST', `/events/${event.body.id}/publish`, { auth: admin });
  const map = await http(port, 'GET', `/events/${event.body.id}/seat-map`, { headers: { 'x-min-position': published.body.position } });
  return { eventId: event.body.id, ordered: map.body.seats.map((s) => s.seatId) };
};

const sale = async (port, eventId, ordered) => {
  const tokens = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => token(`bench|buyer-${i}`)));
  const taken = new Set();
  let bookings = 0;
  let payments = 0;
  const started = performance.now();
  const buyer = async (i) => {
    const next = rng(i + 1);
    while (taken.size < ordered.length && performance.now() - started < TIME_LIMIT_MS) {
      const available = ordered.filter((id) => !taken.has(id));
      const wanted = new Set();
      const count = Math.min(available.length, 1 + Math.floor(next() ** 2 * 4));
      while (wanted.size < count) wanted.add(available[Math.floor(available.length * next() ** 2.5)]);
      const response = await http(port, 'POST', '/bookings', { auth: tokens[i], body: { eventId, seatIds: [...wanted] } });
      if (response.status === 201) {
        for (const id of wanted) taken.add(id);
        if (++bookings % 2 === 0) {
          await http(port, 'POST', `/bookings/${response.body.id}/payments`, { auth: tokens[i], body: { paymentMethod: 'pm_card_visa' } });
          payments++;
        }
      } else if (response.status === 409) {
        for (const id of response.body.conflictingSeatIds ?? []) taken.add(id);
      } else throw new Error(`booking: ${response.status} ${JSON.stringify(response.body)}`);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => buyer(i)));
  return { bookings, payments, seconds: (performance.now() - started) / 1000 };
};

const layouts = { alone: ['healthy'], 'beside a failing one': ['healthy', 'failing'] };
const results = Object.fromEntries(Object.keys(layouts).map((name) => [name, []]));
for (let run = 1; run <= runs; run++) {
  const order = run % 2 === 1 ? Object.keys(layouts) : Object.keys(layouts).reverse();
  for (const name of order) {
    const database = await benchDatabase('webhooks');
    const port = 3300 + run;
    const server = await startServer('dist/src/main.js', { DATABASE_URL: database.url }, port);
    const endpoints = Object.fromEntries(await Promise.all(layouts[name].map(async (kind) => [kind, await endpoint(kind === 'healthy' ? 200 : 503)])));
    try {
      const { eventId, ordered } = await seed(port);
      const integrator = await token('bench|integrator', ['webhooks:write']);
      const webhooks = {};
      for (const [kind, { url }] of Object.entries(endpoints)) {
        webhooks[kind] = (await http(port, 'POST', '/webhooks', { auth: integrator, body: { url, eventTypes: [...INTEGRATION_EVENT_TYPES] } })).body.id;
      }
      const sold = await sale(port, eventId, ordered);
      // Every event appended during the sale reaches the healthy endpoint: wait for its checkpoint to reach the log's end.
      const drainStarted = Date.now();
      let delivered = endpoints.healthy.lags.size;
      for (let quiet = 0; quiet < 10 && Date.now() - drainStarted < DRAIN_LIMIT_MS; ) {
        await new Promise((r) => setTimeout(r, 200));
        quiet = endpoints.healthy.lags.size === delivered ? quiet + 1 : 0;
        delivered = endpoints.healthy.lags.size;
      }
      const listed = (await http(port, 'GET', '/webhooks', { auth: integrator })).body.webhooks;
      const lags = [...endpoints.healthy.lags.values()];
      const result = {
        bookings: sold.bookings, payments: sold.payments, saleSeconds: sold.seconds, bookingsPerSecond: sold.bookings / sold.seconds,
        // Each booking is reserved; each payment succeeds and confirms its booking: every one of them must arrive.
        delivered: lags.length, missing: sold.bookings + 2 * sold.payments - lags.length, p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(...lags),
        failingRequests: endpoints.failing?.requests() ?? null, failingState: listed.find((w) => w.id === webhooks.failing)?.state ?? null,
      };
      results[name].push(result);
      process.stderr.write(`run ${run} ${name}: ${JSON.stringify(result)}\n`);
    } finally {
      await stopServer(server);
      for (const e of Object.values(endpoints)) await e.close();
      await new Promise((r) => setTimeout(r, 500));
      await database.drop();
    }
  }
}
closeHttp();

const of = (name, key, digits = 0) => summary(results[name].map((r) => r[key]), digits);
const keys = ['bookings', 'payments', 'bookingsPerSecond', 'delivered', 'p50', 'p99', 'max', 'failingRequests'];
console.log(JSON.stringify({
  machine: machine(), date: new Date().toISOString().slice(0, 10), runs, seats: SEATS, clients: CLIENTS,
  layouts: Object.fromEntries(Object.keys(layouts).map((name) => [name, Object.fromEntries(keys.map((key) => [key, results[name][0][key] === null ? null : of(name, key)]))])),
  failingStates: results['beside a failing one'].map((r) => r.failingState),
  missing: Object.fromEntries(Object.keys(layouts).map((name) => [name, results[name].map((r) => r.missing)])),
  ratios: {
    p50: (median(results['beside a failing one'].map((r) => r.p50)) / median(results.alone.map((r) => r.p50))).toFixed(2),
    p99: (median(results['beside a failing one'].map((r) => r.p99)) / median(results.alone.map((r) => r.p99))).toFixed(2),
  },
}, null, 2));
