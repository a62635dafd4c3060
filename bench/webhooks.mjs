// Webhook delivery lag during the on-sale: one event of SEATS seats, CLIENTS buyers racing for the best seats as
// bench/onsale.mjs's pick-your-seat buyers do (Zipf-like choice, 409s teach them what is taken, a view of their own
// refreshed from the seat map every 5 s), while outbound webhooks subscribed to every integration event deliver to
// endpoints in processes of their own (bench/webhook-endpoint.mjs: the buyers' work here never delays their answers).
// Lag is measured where a receiver would: the moment its endpoint gets an event (the first 2xx-answered request of
// each event id) minus the event's `time` (when it was appended). COMMAND_CONCURRENCY and WEBHOOK_CONCURRENCY, when
// set, are passed to the service. Two layouts, side by side in each run, alternating
// which goes first: the healthy endpoint alone, and the same beside an endpoint that fails every request (503).
// Usage: node bench/webhooks.mjs [runs=3] [seats=10000] [clients=200]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { INTEGRATION_EVENT_TYPES } from '../dist/src/projections/integration-events.js';
import { benchDatabase, chooseSeats, httpClient, machine, median, percentile, rng, startServer, stopServer, summary, token } from './support.mjs';

const runs = Number(process.argv[2] ?? 3);
const SEATS = Number(process.argv[3] ?? 10_000);
const CLIENTS = Number(process.argv[4] ?? 200);
/** A sale stops here if not sold out; then the endpoints get until DRAIN_LIMIT_MS to receive what was appended. */
const TIME_LIMIT_MS = Number(process.env.WEBHOOK_BENCH_TIME_LIMIT_S ?? 60) * 1000;
const DRAIN_LIMIT_MS = 60_000;
const REFRESH_MS = 5_000;
const SERVICE_ENV = Object.fromEntries(['COMMAND_CONCURRENCY', 'WEBHOOK_CONCURRENCY'].filter((name) => process.env[name]).map((name) => [name, process.env[name]]));
const { http, close: closeHttp } = httpClient(CLIENTS + 10);

/** An endpoint on 127.0.0.1 (bench/webhook-endpoint.mjs) that answers `status`. */
const endpoint = async (status) => {
  const child = fork('bench/webhook-endpoint.mjs', [String(status)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const [{ port }] = await once(child, 'message');
  return {
    url: `http://127.0.0.1:${port}/hook`,
    report: async () => {
      child.send('report');
      return (await once(child, 'message'))[0];
    },
    close: async () => {
      child.disconnect();
      await once(child, 'exit');
    },
  };
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
  const indexOf = new Map(ordered.map((id, i) => [id, i]));
  const seatMap = async () => (await http(port, 'GET', `/events/${eventId}/seat-map`)).body.seats;
  let bookings = 0;
  const started = performance.now();
  const buyer = async (i) => {
    const next = rng(i + 1);
    let view = new Set(ordered.map((_, index) => index));
    let refreshed = performance.now() + next() * REFRESH_MS;
    while (view.size > 0 && performance.now() - started < TIME_LIMIT_MS) {
      if (performance.now() - refreshed > REFRESH_MS) {
        view = new Set((await seatMap()).filter((s) => s.status === 'AVAILABLE').map((s) => indexOf.get(s.seatId)));
        refreshed = performance.now();
        if (view.size === 0) break;
      }
      const wanted = chooseSeats(view, next);
      const response = await http(port, 'POST', '/bookings', { auth: tokens[i], body: { eventId, seatIds: [...wanted].map((index) => ordered[index]) } });
      if (response.status === 201) {
        bookings++;
        for (const index of wanted) view.delete(index);
      } else if (response.status === 409) {
        for (const seatId of response.body.conflictingSeatIds ?? []) view.delete(indexOf.get(seatId));
      } else throw new Error(`booking: ${response.status} ${JSON.stringify(response.body)}`);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => buyer(i)));
  return { bookings, seconds: (performance.now() - started) / 1000 };
};

const layouts = { alone: ['healthy'], 'beside a failing one': ['healthy', 'failing'] };
const results = Object.fromEntries(Object.keys(layouts).map((name) => [name, []]));
for (let run = 1; run <= runs; run++) {
  const order = run % 2 === 1 ? Object.keys(layouts) : Object.keys(layouts).reverse();
  for (const name of order) {
    const database = await benchDatabase('webhooks');
    const port = 3300 + run;
    const server = await startServer('dist/src/main.js', { DATABASE_URL: database.url, ...SERVICE_ENV }, port);
    const endpoints = Object.fromEntries(await Promise.all(layouts[name].map(async (kind) => [kind, await endpoint(kind === 'healthy' ? 200 : 503)])));
    try {
      const { eventId, ordered } = await seed(port);
      const integrator = await token('bench|integrator', ['webhooks:write']);
      const webhooks = {};
      for (const [kind, { url }] of Object.entries(endpoints)) {
        webhooks[kind] = (await http(port, 'POST', '/webhooks', { auth: integrator, body: { url, eventTypes: [...INTEGRATION_EVENT_TYPES] } })).body.id;
      }
      const sold = await sale(port, eventId, ordered);
      // Every event appended during the sale reaches the healthy endpoint: wait until it has them all.
      const drainStarted = Date.now();
      let healthy = await endpoints.healthy.report();
      while (healthy.lags.length < sold.bookings && Date.now() - drainStarted < DRAIN_LIMIT_MS) {
        await new Promise((r) => setTimeout(r, 200));
        healthy = await endpoints.healthy.report();
      }
      const listed = (await http(port, 'GET', '/webhooks', { auth: integrator })).body.webhooks;
      const { lags } = healthy;
      const result = {
        bookings: sold.bookings, saleSeconds: sold.seconds, bookingsPerSecond: sold.bookings / sold.seconds,
        // Each booking was reserved (booking.reserved): every one of them must arrive.
        delivered: lags.length, missing: sold.bookings - lags.length, p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(...lags),
        // In the order they arrived: the sale's first rush, when all the buyers start at once, against the rest.
        p99FirstTenth: percentile(lags.slice(0, Math.floor(lags.length / 10)), 99), p99Rest: percentile(lags.slice(Math.floor(lags.length / 10)), 99),
        failingRequests: endpoints.failing ? (await endpoints.failing.report()).requests : null, failingState: listed.find((w) => w.id === webhooks.failing)?.state ?? null,
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
const keys = ['bookings', 'saleSeconds', 'bookingsPerSecond', 'delivered', 'p50', 'p99', 'max', 'p99FirstTenth', 'p99Rest', 'failingRequests'];
console.log(JSON.stringify({
  machine: machine(), date: new Date().toISOString().slice(0, 10), runs, seats: SEATS, clients: CLIENTS, serviceEnv: SERVICE_ENV,
  layouts: Object.fromEntries(Object.keys(layouts).map((name) => [name, Object.fromEntries(keys.map((key) => [key, results[name][0][key] === null ? null : of(name, key)]))])),
  failingStates: results['beside a failing one'].map((r) => r.failingState),
  missing: Object.fromEntries(Object.keys(layouts).map((name) => [name, results[name].map((r) => r.missing)])),
  ratios: {
    p50: (median(results['beside a failing one'].map((r) => r.p50)) / median(results.alone.map((r) => r.p50))).toFixed(2),
    p99: (median(results['beside a failing one'].map((r) => r.p99)) / median(results.alone.map((r) => r.p99))).toFixed(2),
  },
}, null, 2));
