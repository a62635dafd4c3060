import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeOnPostgresStore } from './support/event-store.js';
import { recordFigure } from './support/figures.js';

/**
 * A small run of each benchmark (`npm run bench` runs them at full size and writes BENCHMARKS.md;
 * these write nothing): the scripts still work against the service as built, and their
 * correctness columns hold — no double booking, nothing lost or read twice by a whole-log reader.
 */
const bench = async (args: string[], env: Record<string, string> = {}) => {
  const { stdout } = await promisify(execFile)(process.execPath, args, { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  return JSON.parse(stdout.slice(stdout.indexOf('{')));
};

/** Figures come as "median (min–max)" strings. */
const first = (summary: string | number) => Number(String(summary).replace(/[, ]/g, '').match(/^-?[\d.]+/)?.[0]);

describeOnPostgresStore('benchmarks, smoke-sized', 'bench/*.mjs measure the PostgreSQL event store and start the service and the CLI on PostgreSQL whatever the environment; the PostgreSQL run smoke-tests them', () => {
  it('event store: ours and the peer measured side by side; ours loses and repeats nothing', async () => {
    const result = await bench(['bench/event-store.mjs', '1'], { EVENT_STORE_BENCH_SCALE: '0.01' });
    expect(result.correctness.ours).toMatchObject({ lostTotal: 0, duplicatedTotal: 0 });
    expect(Object.keys(result.scenarios).length).toBeGreaterThan(0);
    recordFigure('bench smoke', 'event store: events lost / read twice by the whole-log reader (ours)', `${result.correctness.ours.lostTotal} / ${result.correctness.ours.duplicatedTotal}`);
  }, 300_000);

  it('hot on-sale: sells out on Eventix (best available; picking seats with and without a command limit) and on both references; no double booking but on the reference as written', async () => {
    const result = await bench(['bench/onsale.mjs', '1', '300', '20'], { SEAT_MAP_SEATS: '500', ONSALE_BUYERS: '40' });
    const systems = result.systems as Record<string, { doubleBookedSeats: string; seatsSold: string; conflicts: string; unsoldSeats: string }>;
    expect(Object.keys(systems)).toHaveLength(5);
    const [best, eventix, limited, corrected, asWritten] = Object.keys(systems);
    // Best available: every seat sold, none twice, nothing collided.
    expect([systems[best].seatsSold, systems[best].doubleBookedSeats, systems[best].conflicts, systems[best].unsoldSeats].map(first)).toEqual([300, 0, 0, 0]);
    expect(Number(result.bestAvailable.bookingsPerSecondVsPickYourSeat)).toBeGreaterThan(0);
    for (const name of [eventix, limited, corrected]) expect(first(systems[name].doubleBookedSeats)).toBe(0);
    // Every seat sold; the reference as written sells some twice (data-model.md §5.2 cannot lock rows that do not exist yet).
    expect([eventix, limited, corrected].map((name) => first(systems[name].seatsSold))).toEqual([300, 300, 300]);
    expect(first(systems[asWritten].seatsSold)).toBeGreaterThanOrEqual(300);
    expect(Number(result.ratios.limitedBookingsPerSecondVsCorrectedReference)).toBeGreaterThan(0);
    // Over the same part of every sale: here all sold out, so the first 300 seats.
    expect(result.commonSeats).toBe(300);
    expect(Number(result.ratios.overCommonSeatsVsCorrectedReference)).toBeGreaterThan(0);
    recordFigure('bench smoke', 'on-sale (300 seats, 20 buyers): double-booked seats, Eventix / corrected reference', `${first(systems[eventix].doubleBookedSeats)} / ${first(systems[corrected].doubleBookedSeats)}`);
  }, 300_000);

  it('gate rush: every ticket admitted once, the second scans refused, none admitted twice; both stream layouts measured', async () => {
    const result = await bench(['bench/checkin.mjs', '1', '200', '10']);
    expect(result.answers).toEqual([{ 200: 200, 409: 10 }]);
    expect(result.doubleAdmissions).toEqual({ answers: 0, log: 0 });
    expect(result.ticketsNotAdmitted).toBe(0);
    expect(result.attendance).toMatchObject({ tickets: 200, admitted: 200, duplicates: 10 });
    expect(first(result.offlineVerificationPerSecond.jose)).toBeGreaterThan(0);
    expect(Number(result.streamLayouts.perEventVsPerTicket)).toBeGreaterThan(0);
    recordFigure('bench smoke', 'gate rush (200 tickets, 10 gates): double admissions, answers / log', `${result.doubleAdmissions.answers} / ${result.doubleAdmissions.log}`);
  }, 300_000);

  it('webhooks: every event of an on-sale reaches the healthy endpoint, alone and beside a failing one, which is tried meanwhile', async () => {
    const result = await bench(['bench/webhooks.mjs', '1', '300', '20']);
    expect(result.missing).toEqual({ alone: [0], 'beside a failing one': [0] });
    expect(first(result.layouts['beside a failing one'].failingRequests)).toBeGreaterThan(0);
    expect(Number(result.ratios.p99)).toBeGreaterThan(0);
    recordFigure('bench smoke', 'webhooks (300 seats, 20 buyers): events missing at the healthy endpoint, alone / beside a failing one', `${result.missing.alone[0]} / ${result.missing['beside a failing one'][0]}`);
  }, 300_000);

  it('replay: rebuilds every read model from a seeded log, whose hash chains verify', async () => {
    // REPLAY_VERIFY_LOG: `eventix verify --log` over the bulk-imported log; a broken chain fails the script.
    const result = await bench(['bench/replay.mjs', '2000', '1'], { REPLAY_VERIFY_LOG: '1' });
    expect(result.events).toBeGreaterThanOrEqual(2_000);
    expect(first(result.eventsPerSecond)).toBeGreaterThan(0);
  }, 300_000);

  it('privacy: appends and replays with plain and encrypted user ids; seals the log and verifies it against the seal', async () => {
    const result = await bench(['bench/privacy.mjs', '2000', '1', '1'], { EVENT_STORE_BENCH_SCALE: '0.1' });
    expect(result.append.ratio).toBeGreaterThan(0);
    expect(result.append.knownRatio).toBeGreaterThan(0);
    expect(result.replay.ratio).toBeGreaterThan(0);
    expect(Object.keys(result.logChecks).sort()).toEqual(['encrypted', 'plain']);
  }, 300_000);

  it('snapshot: a fresh service books first with and without the inventory\'s snapshot, which was taken of the whole stream', async () => {
    const result = await bench(['bench/snapshot.mjs', '3000', '1']);
    expect(result.snapshot.revision).toBe(2_999);
    expect(first(result.firstBookingMs.without)).toBeGreaterThan(0);
    expect(first(result.firstBookingMs.with)).toBeGreaterThan(0);
  }, 300_000);
});
