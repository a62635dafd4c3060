// npm run bench [-- scenario …]: runs the benchmarks (each a process of its own, printing JSON) and
// writes BENCHMARKS.md: the machine, the date, the command and every figure as median (min–max).
// Scenarios: event-store, onsale, checkin, webhooks, replay, snapshot, privacy. Runs and sizes: BENCH_RUNS (see runsOf), REPLAY_EVENTS (1000000),
// SNAPSHOT_EVENTS (200000), CHECKIN_TICKETS (20000).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { machine } from './support.mjs';

// Runs of each scenario: what fits in 10 minutes on 2 cores (about 12 on a slow hour, with the gate rush's 2⅓). The on-sale's two references stop at 60 s
// (they would need minutes to sell 10,000 seats), and the event store's run is about two minutes, so they run
// once; the replay (one seeding, ~25 s a replay) three times; the snapshot's first bookings (a service start each, ~4 s
// without a snapshot) five times each. BENCH_RUNS=3 runs every scenario three times (~25 min).
const runsOf = (otherwise) => process.env.BENCH_RUNS ?? otherwise;
const replayEvents = process.env.REPLAY_EVENTS ?? '1000000';
const snapshotEvents = process.env.SNAPSHOT_EVENTS ?? '200000';
const scenarios = {
  'event-store': { args: ['bench/event-store.mjs', runsOf('1')], render: renderEventStore },
  onsale: { args: ['bench/onsale.mjs', runsOf('1')], render: renderOnSale },
  checkin: { args: ['bench/checkin.mjs', runsOf('1'), process.env.CHECKIN_TICKETS ?? '20000'], render: renderCheckIn },
  webhooks: { args: ['bench/webhooks.mjs', runsOf('3')], render: renderWebhooks },
  replay: { args: ['bench/replay.mjs', replayEvents, runsOf('3')], render: renderReplay },
  snapshot: { args: ['bench/snapshot.mjs', snapshotEvents, runsOf('5')], render: renderSnapshot },
  privacy: { args: ['bench/privacy.mjs', replayEvents, runsOf('5'), process.env.PRIVACY_REPLAY_PAIRS ?? '3'], render: renderPrivacy },
};
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(scenarios);

const sections = {};
const benchStarted = Date.now();
for (const name of chosen) {
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`unknown scenario ${name} (known: ${Object.keys(scenarios).join(', ')})`);
  process.stderr.write(`== ${name}: node ${scenario.args.join(' ')}\n`);
  const started = Date.now();
  const stdout = execFileSync(process.execPath, scenario.args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  const result = JSON.parse(stdout.slice(stdout.indexOf('{')));
  sections[name] = `${scenario.render(result)}\n\nCommand: \`node ${scenario.args.join(' ')}\` (${Math.round((Date.now() - started) / 1000)} s), ${new Date().toISOString().slice(0, 10)}.`;
}

// Sections of scenarios not run this time stay as they were.
const previous = (() => {
  try {
    return readFileSync('BENCHMARKS.md', 'utf8');
  } catch {
    return '';
  }
})();
const kept = Object.fromEntries([...previous.matchAll(/<!-- (\S+) -->\n([\s\S]*?)<!-- \/\1 -->/g)].map((m) => [m[1], m[2].trim()]));
// "notes" is written by hand (what limits each figure now) and kept as it is.
const body = [...Object.keys(scenarios), 'notes']
  .filter((name) => sections[name] || kept[name])
  .map((name) => `<!-- ${name} -->\n${sections[name] ?? kept[name]}\n<!-- /${name} -->`)
  .join('\n\n');
writeFileSync(
  'BENCHMARKS.md',
  `# Benchmarks

Written by \`npm run bench\` (bench/index.mjs). Every figure is the median of repeated runs with the
minimum and maximum in brackets; comparisons are measured side by side in the same run, because the
machine is shared and noisy. Last run on: ${machine()}; PostgreSQL on 127.0.0.1 with \`fsync\` on and
autovacuum off (benchmarks ANALYZE after bulk loads). The last run of \`npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\`${process.env.BENCH_RUNS ? ` with BENCH_RUNS=${process.env.BENCH_RUNS}` : ''}
took ${Math.round((Date.now() - benchStarted) / 1000)} s from its first scenario to its last (plus \`npm run build\`), ${new Date().toISOString().slice(0, 10)}.

${body}
`,
);
process.stderr.write('BENCHMARKS.md written\n');

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function renderReplay(r) {
  return `## Replay: rebuilding every read model from the log

A log of ${r.events.toLocaleString('en-US')} events (a 10,000-seat venue, 10 published events, bookings of which 60 % paid and
confirmed with their payment streams and 20 % cancelled), replayed by \`eventix replay\` as an operator runs it: a new
process folds the log in memory into the catalog, seat-map, booking, payment and check-in tables' final rows, loads them into bare
shadow tables in bulk, indexes them and swaps them in; ${r.runs} runs, each timed from the process's start to its end. The log is
imported in bulk before the runs (the rows and hash chains appends would write; the smoke test verifies them with \`eventix verify --log\`),
then checkpointed, but neither vacuumed nor analysed, as a log is right after an import.

${table(['events', 'wall time per replay (s)', 'events/s'], [[r.events.toLocaleString('en-US'), r.seconds, r.eventsPerSecond]])}`;
}

function renderPrivacy(r) {
  const n = (value) => value.toLocaleString('en-US');
  const checks = Object.entries(r.logChecks).map(([ids, c]) => [ids, `${c.verifyLog.seconds} s`, `${c.seal.seconds} s (${n(c.seal.eventsPerSecond)} events/s)`, `${c.verifyLogWithSeal.seconds} s`]);
  return `## Privacy: what encrypting user ids costs, and sealing the log

Side by side in one run (#22, docs/privacy.md). **Append:** ${r.append.writers} writers append ${n(r.append.events)} \`BookingPlaced\` events, one to
an append, to streams of their own, through the PostgreSQL event store, the buyer's id in \`data.userId\` and \`metadata.userId\`:
plain, as before #22; encrypted through the service's \`UserKeys\` as the controllers do (5,000 buyers new to each run, so
each one's key is made during it, as in an on-sale; an encrypted id is ${r.append.idCharacters} characters); encrypted for 5,000 buyers whose keys
were made and ids cached before the run (*known*: a buyer's next commands, what encrypting alone costs); or plain but padded to an encrypted
id's length, which tells what the bytes alone cost. The four take turns, ${r.append.runs} runs each. **Replay:** \`bench/replay.mjs\` seeds
a log of ${n(r.replay.events)} events whose buyers' ids are plain or encrypted and times one \`eventix replay\` over it (which then decrypts
every one); the two alternate, ${r.replay.pairs} each. Targets: append rate within 10 %, replay within 20 %.

${table(['', 'plain', 'padded', 'encrypted', 'known', 'encrypted ÷ plain', 'known ÷ plain', 'padded ÷ plain'], [
    ['append (events/s)', r.append.plain, r.append.padded, r.append.encrypted, r.append.known, r.append.ratio, r.append.knownRatio, r.append.paddedRatio],
    ['replay (s)', r.replay.plain, '', r.replay.encrypted, '', r.replay.ratio, '', ''],
  ])}

Over each seeded log once, \`eventix verify --log\`, \`eventix seal\` and \`eventix verify --log --seal\`, each a process of its own:

${table(['log', 'verify --log', 'seal', 'verify --log --seal'], checks)}`;
}

function renderSnapshot(r) {
  const n = (value) => value.toLocaleString('en-US');
  return `## Snapshots: the first booking of an instance that starts during a long on-sale

One event in a ${n(r.seats)}-seat venue whose seat inventory (\`seats-<eventId>\`) holds ${n(r.events)} events: reservations of 1–4 seats
and releases, as an on-sale with cancellations leaves them (${n(r.bookingsHolding)} bookings hold seats at the end), appended through the
PostgreSQL event store. Each run starts the service afresh (\`node dist/src/main.js\`, until \`/health/ready\` answers) and times its
first \`POST /bookings\` (a free seat, a new buyer), then a second one: without snapshots (\`SNAPSHOT_EVERY_EVENTS=0\`: the whole
stream is read) and with the inventory's snapshot present (taken at revision ${n(r.snapshot.revision)}; a run reads it and the few events
booked since), alternating which goes first, ${r.runs} runs each. The first booking also reads the event and its venue's ${n(r.seats)} seats
(${r.venueEvents} events), with or without snapshots.

${table(['', 'without snapshots', 'with a snapshot'], [
  ['first booking of a fresh instance (ms)', r.firstBookingMs.without, `**${r.firstBookingMs.with}**`],
  ['the next booking (ms)', r.nextBookingMs.without, r.nextBookingMs.with],
])}

First booking, without ÷ with (medians): **${r.speedup}×**. The snapshot is ${n(r.snapshot.bytes)} bytes of JSON. Taking one costs the
event loop ${r.snapshot.toSnapshotMs} ms on the command's turn (\`toSnapshot\`) and ${r.snapshot.stringifyMs} ms when the save is sent
(\`JSON.stringify\`), once every ${n(r.snapshot.everyEvents)} events; the command does not wait for the save (measured in the benchmark's
own process on the same state, median of 5).`;
}

function renderOnSale(r) {
  const names = Object.keys(r.systems);
  const big = `${(r.seatMapSeats ?? 20_000).toLocaleString('en-US')}-seat`;
  const row = (label, key, unit = '') => [label, ...names.map((n) => `${r.systems[n][key] ?? '—'}${unit && r.systems[n][key] ? unit : ''}`)];
  return `## Hot on-sale

One event of ${r.seats.toLocaleString('en-US')} seats, ${r.clients} concurrent buyers racing for overlapping seats (a Zipf-like preference for the best
seats; each 409's \`conflictingSeatIds\` removes seats from the buyer's view; each buyer refreshes its view from the seat map every
5 s) until every seat is sold or ${r.timeLimitSeconds} s have passed; ${r.runs} run(s). A sale stopped by that limit is measured over the
time it ran: its first, least contended part, which favours it. Eventix against the reference implementation of the original design
(bench/reference: one PostgreSQL transaction per booking with data-model.md §5.2's \`SELECT … FOR UPDATE\`), served behind the
same HTTP stack (NestJS, the same JWT guard, validation and problem+json), on the same database server, one after the other in
the same run. Double bookings are counted from the event store for Eventix and from the tables for the reference.
The seat map's latency is measured on a second event of ${(r.seatMapSeats ?? 20_000).toLocaleString('en-US')} seats: 200 requests one after another before the
sale ("alone"), then one every 200 ms while it runs ("under the sale"), each timed until the whole answer has arrived.
Eventix runs twice: as it starts by default, and with \`COMMAND_CONCURRENCY=32\` (at most 32 HTTP commands running at once, the
others waiting their turn; README), which trades bookings/s for the latency of everything else under the sale.

**Best available** (first column) runs beside them on the same build: the same ${r.seats.toLocaleString('en-US')} seats in ${r.sections?.length ?? 4} sections
(${(r.sections ?? []).join(', ')}; rows of 100, each section's first tenth VIP, the next four tenths REGULAR, the rest ECONOMY), and
${(r.buyers ?? 1_000).toLocaleString('en-US')} buyers, each with a category (by the seats' shares) and a group of 1–4, booking that group with
\`{eventId, quantity, seatType}\` again and again until the service answers \`not-enough-seats\`. A collision is any other 409 (there is
nothing to collide on: the service chooses). At the end, from the seat map: seats left unsold, and lone ones among them (available, no
available seat next to it in its row); "free seats when first refused" adds up, per category, the \`available\` of the first
\`not-enough-seats\` answer (seats still free, in no block big enough for that buyer). Its seat map and lag are measured as for the others,
on a 20,000-seat event in the same sections. Peak RSS: the service process's VmHWM at the end of its sale.

${table(['', ...names], [
  row(`bookings/s over the first ${(r.commonSeats ?? 0).toLocaleString('en-US')} seats sold (the same part of every sale)`, 'bookingsPerSecondOverCommonSeats'),
  row('bookings/s (to sell-out or the limit)', 'bookingsPerSecond'),
  row('seats/s', 'seatsPerSecond'),
  row('seats sold', 'seatsSold'),
  row('time to sell out, or the limit (s)', 'secondsToSellOut'),
  row('bookings', 'bookings'),
  row('409 conflicts', 'conflicts'),
  row('other errors', 'errors'),
  row('POST /bookings p50 (ms)', 'p50'),
  row('POST /bookings p99 (ms)', 'p99'),
  row(`seat map of a ${big} event, alone, p50 (ms)`, 'seatMapAloneP50'),
  row(`seat map of a ${big} event, alone, p99 (ms)`, 'seatMapAloneP99'),
  row(`seat map of a ${big} event, under the sale, p50 (ms)`, 'seatMapUnderLoadP50'),
  row(`seat map of a ${big} event, under the sale, p99 (ms)`, 'seatMapUnderLoadP99'),
  row('projection lag p50 (ms)', 'lagP50'),
  row('projection lag p99 (ms)', 'lagP99'),
  row('seats in two active bookings', 'doubleBookedSeats'),
  row('best available: not-enough-seats answers', 'notEnoughSeats'),
  row('best available: seats left unsold at the end', 'unsoldSeats'),
  row('best available: lone seats left at the end', 'loneSeatsLeft'),
  row('best available: free seats when first refused', 'freeSeatsAtFirstRefusal'),
  row('service peak RSS (MB)', 'peakRssMb'),
])}
${r.bestAvailable ? `
Best available ÷ pick-your-seat (Eventix, default), bookings/s over each sale: **${r.bestAvailable.bookingsPerSecondVsPickYourSeat}**; over the same first
${(r.commonSeats ?? 0).toLocaleString('en-US')} seats: ${r.bestAvailable.overCommonSeatsVsPickYourSeat}; best available ÷ corrected reference: ${r.bestAvailable.bookingsPerSecondVsCorrectedReference ?? '—'}.` : ''}
${r.chooser ? `The chooser alone (bench process, no HTTP): a ${(r.seatMapSeats ?? 20_000).toLocaleString('en-US')}-seat venue in sections sold out by ${r.chooser.choices.toLocaleString('en-US')} choices of 1–4
seats, each taken at once: **${r.chooser.p50} µs** per choice (median), ${r.chooser.p99} µs p99; the same choice looking at every seat
(an index built for each request) takes ${r.chooser.everySeatP50} µs (median of 200).` : ''}

Ratios of medians, bookings/s over the same first ${(r.commonSeats ?? 0).toLocaleString('en-US')} seats sold (the target's measure: a sale stopped by the limit would
otherwise be compared over its easiest part with the whole of another): Eventix ÷ corrected reference = **${r.ratios.overCommonSeatsVsCorrectedReference}**,
÷ reference as written = **${r.ratios.overCommonSeatsVsAsWritten}**; with \`COMMAND_CONCURRENCY=32\` ÷ corrected reference = **${r.ratios.limitedOverCommonSeatsVsCorrectedReference}**.
Over each sale's whole run (to sell-out or the limit): Eventix ÷ corrected reference = ${r.ratios.bookingsPerSecondVsCorrectedReference}, ÷ reference as written = ${r.ratios.bookingsPerSecondVsAsWritten}; with \`COMMAND_CONCURRENCY=32\` ÷ corrected reference = ${r.ratios.limitedBookingsPerSecondVsCorrectedReference}.
Projection lag: a booking accepted (201 with its \`position\`) → \`GET /bookings/:id\` with \`X-Min-Position\` answers, for every 20th booking.`;
}

function renderCheckIn(r) {
  const layouts = r.streamLayouts;
  return `## Gate rush (check-in)

One event of ${r.tickets.toLocaleString('en-US')} tickets, sold through the real path (bookings of 10 named seats, paid with the test provider,
\`GET /bookings/:id/tickets\`), then scanned by **${r.gates} gates at once** (\`POST /events/:eventId/check-ins\`, each gate sending its next
scan as soon as the last was answered): every ticket once, and ${r.secondScans.toLocaleString('en-US')} (5 %) a second time, at a random later moment,
through another gate; ${r.scans.toLocaleString('en-US')} scans in all; ${r.runs} run(s). Double admissions are counted twice: tickets answered
ADMITTED more than once, and tickets with more than one \`TicketAdmitted\` in the log.

${table(['', 'figure'], [
  ['scans/s', `**${r.scansPerSecond}**`],
  ['scan latency p50 (ms)', r.latencyMs.p50],
  ['scan latency p99 (ms)', `**${r.latencyMs.p99}**`],
  ['answers', r.answers.map((a) => Object.entries(a).map(([status, n]) => `${n.toLocaleString('en-US')} × ${status}`).join(', ')).join('; ')],
  ['double admissions (answers / log)', `**${r.doubleAdmissions.answers} / ${r.doubleAdmissions.log}**`],
  ['tickets never admitted', r.ticketsNotAdmitted],
  ['cores busy during the rush: service / gates / whole machine (of 2)', r.coresBusyDuringRush.map((c) => `${c.service} / ${c.bench} / ${c.machine}`).join('; ')],
  ['per scan in PostgreSQL: transactions, rows inserted, rows updated', r.databasePerScan.map((d) => `${d.commits}, ${d.inserted}, ${d.updated}`).join('; ')],
  ['selling the tickets: time (s)', r.sellOutSeconds],
  ['GET /bookings/:id/tickets (10 tickets, QR codes) under the sale (ms)', r.ticketsIssueMsPerBooking],
  ['offline verification, one core: codes/s with jose and the public JWK', `**${r.offlineVerificationPerSecond.jose}**`],
  ['offline verification, one core: codes/s with node:crypto (Ed25519 over header.payload)', r.offlineVerificationPerSecond.nodeCrypto],
])}

**Where check-ins are decided: a stream per ticket, or one per event.** The same ${layouts.admissions.toLocaleString('en-US')} first scans from ${r.gates} gates at once,
decided by the service's own CommandBatcher and deciders on its PostgreSQL event store (bench process, no HTTP): on a stream per ticket
(each scan reads its ticket's stream and appends to it), **${layouts.perTicket.perSecond}/s** (p50 ${layouts.perTicket.p50} ms, p99 ${layouts.perTicket.p99} ms); on one stream per
event, as the service does (the scans that wait together are decided in turn and appended in one call), **${layouts.perEvent.perSecond}/s** (p50 ${layouts.perEvent.p50} ms,
p99 ${layouts.perEvent.p99} ms): **${layouts.perEventVsPerTicket}×**.`;
}

function renderWebhooks(r) {
  const layouts = Object.entries(r.layouts);
  const row = (label, key) => [label, ...layouts.map(([, l]) => l[key] ?? '—')];
  return `## Outbound webhooks during an on-sale

One event of ${r.seats.toLocaleString('en-US')} seats, ${r.clients} buyers racing for the best seats until it is sold out, as the on-sale's pick-your-seat
buyers do${Object.keys(r.serviceEnv).length ? ` (the service with ${Object.entries(r.serviceEnv).map(([name, value]) => `\`${name}=${value}\``).join(', ')})` : ''}; webhooks subscribed to every integration event POST them to endpoints, each
in a process of its own. Lag: the moment the healthy endpoint got an event (its first 2xx-answered request of that id) minus the event's
\`time\` (its append). Two layouts side by side in each run, alternating which goes first: the healthy endpoint alone, and beside
an endpoint that answers every request with 503 (retried with backoff, never skipped); ${r.runs} run(s), a fresh database each.

${table(['', ...layouts.map(([name]) => `healthy endpoint ${name}`)], [
  row('bookings', 'bookings'),
  row('time to sell out, or the limit (s)', 'saleSeconds'),
  row('bookings/s', 'bookingsPerSecond'),
  row('events delivered to the healthy endpoint', 'delivered'),
  row('lag p50 (ms)', 'p50'),
  row('lag p99 (ms)', 'p99'),
  row('lag max (ms)', 'max'),
  row('lag p99 of the first tenth of the events (ms)', 'p99FirstTenth'),
  row('lag p99 of the other nine tenths (ms)', 'p99Rest'),
  row('requests the failing endpoint got', 'failingRequests'),
])}

The healthy endpoint's lag beside the failing one ÷ alone (medians): p50 **${r.ratios.p50}**, p99 **${r.ratios.p99}**.`;
}

function renderEventStore(r) {
  const rows = Object.values(r.scenarios).map((x) => [x.label, x.unit, x.ours, x.peer, `**${x.ratio}×**`]);
  const limit = Object.values(r.physicalLimit).map((x) => [x.label, x.raw, `${Math.round(x.oursShareOfLimit * 100)} %`, `${Math.round(x.peerShareOfLimit * 100)} %`]);
  const c = r.correctness;
  return `## Event store: the PostgreSQL adapter beside @event-driven-io/emmett-postgresql 0.42.0

Each store in a process of its own against a fresh database on the same server, alternating which goes first, ${r.runs} run(s);
payload: ${r.payload.event}, ${r.payload.dataBytes} bytes of JSON. Ours: ${r.configuration.ours}. Peer: ${r.configuration.peer}.

${table(['scenario', 'unit', 'ours', 'peer', 'ours ÷ peer (medians)'], rows)}

Physical limit (${r.configuration.physicalLimit}):

${table(['plain INSERTs of the same rows', 'rows/s', 'ours reaches', 'peer reaches'], limit)}

Correctness — ${c.label}: ours lost **${c.ours.lostTotal}** and delivered twice **${c.ours.duplicatedTotal}**; the peer lost ${c.peer.lostTotal} and delivered twice ${c.peer.duplicatedTotal} (in 0.42.0 its global reader pages by global_position while sorting by transaction id).`;
}
