#!/usr/bin/env -S node --max-semi-space-size=64
// The flag: a replay folds a million events into rows kept in memory; a larger young generation
// copies them less (BENCHMARKS.md has the figures).
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { migrations } from '../migrations/all.js';
import { type Environment, validateEnvironment } from './config.js';
import { ensureDatabase } from './database.js';
import { PROJECTORS } from './projections/projectors.js';
import { type Bound, Rebuild } from './projections/replay.js';
import { describeBooking, evolveBookingAudit, initialBookingAudit, readBookingAudit, readStreams } from './read/booking/booking-state.js';
import { showStream } from './write/catalog/show.events.js';
import { openEventStore } from './write/event-store/event-store.module.js';
import { type EventStore, normalizePosition, type Position, type Recorded } from './write/event-store/event-store.port.js';
import { expectedLink, GENESIS_HASH, verifyChain } from './write/event-store/log-hash.js';
import { checkSeal, loadPublicKey, loadSigningKey, measureLog, newSealKeyPair, NO_SIGNING_KEY, sealCheck, SealInputError, sealLog, type StreamHead } from './write/event-store/log-seal.js';
import { UserKeys } from './write/privacy/user-keys.js';
import { seatInventoryStream } from './write/seat-inventory/seat-inventory.events.js';
import { TicketKeys } from './write/tickets/ticket-keys.js';
import { doorStream } from './write/tickets/ticket.events.js';

/**
 * eventix: replay, audit and verify, over the service's own configuration (the same environment
 * variables). Exit codes: 0 done / agreed, 1 a difference or a broken chain was found, 2 bad usage.
 */
type Context = { env: Environment; store: EventStore; pool: pg.Pool; db: DataSource; users: UserKeys };

const withContext = async <T>(work: (context: Context) => Promise<T>): Promise<T> => {
  Logger.overrideLogger(['error', 'warn']); // stdout is the command's answer
  const env = validateEnvironment(process.env);
  await ensureDatabase(env.DATABASE_URL);
  const migrator = new DataSource({ type: 'postgres', url: env.DATABASE_URL, migrations, logging: false });
  await migrator.initialize();
  await migrator.runMigrations();
  await migrator.destroy();
  const store = await openEventStore(env);
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4, application_name: 'eventix-cli' });
  const db = new DataSource({ type: 'postgres', url: env.DATABASE_URL, logging: false, extra: { max: 2, application_name: 'eventix-cli' } });
  await db.initialize();
  try {
    return await work({ env, store, pool, db, users: new UserKeys(db, env) });
  } finally {
    await db.destroy();
    await pool.end();
    await store.close();
  }
};

const out = (line: string) => process.stdout.write(`${line}\n`);

/** The whole log in global order, a page at a time (constant memory for any size of log); `read` is readAll, or readAllWithForeign. */
async function* pagesOf<T extends { position: Position }>(read: (options: { after?: Position; limit: number }) => Promise<T[]>, size: number): AsyncGenerator<T[]> {
  for (let page = await read({ limit: size }); page.length > 0; page = await read({ after: page.at(-1)!.position, limit: size })) yield page;
}
const json = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? Number(v) : v instanceof Map ? Object.fromEntries(v) : v), 2);

const parseTime = (text: string) => {
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) throw new InvalidArgumentError('not a date/time (ISO 8601, e.g. 2026-11-25T10:00:00Z)');
  return time;
};
const parsePosition = (text: string) => {
  const position = normalizePosition(text);
  if (!position) throw new InvalidArgumentError('not a position (as commands answer it, e.g. 00000000000000000812:00000000000000000042)');
  return position;
};

/** A bar with events/s and ETA on a terminal; a plain line every two seconds otherwise (CI, pipes). */
const progressReporter = (label: string, total: number | undefined) => {
  const started = Date.now();
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% {value}/{total} events | {speed} events/s | ETA {eta_formatted}`, stream: process.stderr });
    bar.start(total ?? 0, 0, { speed: 0 });
    return {
      update: (done: number) => bar.update(done, { speed: Math.round(done / Math.max((Date.now() - started) / 1000, 0.001)) }),
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update: (done: number) => {
      if (Date.now() - last < 2_000) return;
      last = Date.now();
      const rate = done / Math.max((Date.now() - started) / 1000, 0.001);
      const eta = total && rate > 0 ? ` ETA ${Math.ceil((total - done) / rate)} s` : '';
      process.stderr.write(`${label}: ${done}${total ? `/${total}` : ''} events, ${Math.round(rate)} events/s${eta}\n`);
    },
    stop: () => undefined,
  };
};

const selectProjectors = (names: string[] | undefined) => {
  if (!names || names.length === 0) return PROJECTORS;
  const unknown = names.filter((name) => !PROJECTORS.some((p) => p.name === name));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown projection ${unknown.join(', ')} (known: ${PROJECTORS.map((p) => p.name).join(', ')})`);
  return PROJECTORS.filter((p) => names.includes(p.name));
};

const replay = async (options: { projection?: string[]; until?: Date; untilPosition?: Position }) =>
  withContext(async ({ store, pool, users }) => {
    const rebuild = new Rebuild(pool, store, selectProjectors(options.projection), users);
    const bound: Bound | undefined = options.until || options.untilPosition ? { time: options.until, position: options.untilPosition } : undefined;
    const started = Date.now();
    const progress = progressReporter('replay', await store.countAll?.(rebuild.types));
    const interrupt = new AbortController();
    process.once('SIGINT', () => interrupt.abort());
    try {
      await rebuild.build(bound ?? {}, progress.update, interrupt.signal);
      await rebuild.swap(bound);
    } finally {
      progress.stop();
    }
    const seconds = (Date.now() - started) / 1000;
    out(`replay: ${rebuild.applied} events into ${rebuild.projectors.map((p) => p.name).join(', ')} in ${seconds.toFixed(1)} s (${Math.round(rebuild.applied / seconds)} events/s); swapped in at ${rebuild.position ?? 'the start'}`);
  });

/** Rebuilds each projection in shadow tables up to where the live one is, and compares them row by row. */
const verifyReadModels = async () =>
  withContext(async ({ store, pool, users }) => {
    let differences = 0;
    for (const projector of PROJECTORS) {
      const rebuild = new Rebuild(pool, store, [projector], users);
      const checkpoint = async (client: pg.PoolClient | pg.Pool, lock = '') =>
        ((await client.query(`SELECT position FROM projections.checkpoints WHERE projector = $1 ${lock}`, [projector.name])).rows[0]?.position ?? '') as Position;
      try {
        await rebuild.build({ position: await checkpoint(pool) });
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await rebuild.holdErasures(client);
          // The live projector cannot move on while we compare: its next checkpoint update waits for us.
          const live = await checkpoint(client, 'FOR UPDATE');
          await rebuild.catchUp({ position: live }, undefined, undefined, client);
          await rebuild.settleErasures(client);
          for (const { table, onlyLive, onlyRebuilt } of await rebuild.differences(client)) {
            differences += onlyLive.length + onlyRebuilt.length;
            out(`DRIFT in ${table} (projection ${projector.name}):`);
            for (const row of onlyLive) out(`  live only:    ${JSON.stringify(row)}`);
            for (const row of onlyRebuilt) out(`  rebuilt only: ${JSON.stringify(row)}`);
          }
          await client.query('ROLLBACK');
        } finally {
          client.release();
        }
      } finally {
        await rebuild.dropShadows();
      }
      out(`verify: ${projector.name}: ${rebuild.applied} events replayed`);
    }
    out(differences === 0 ? 'verify: the read models agree with the event log' : `verify: ${differences} rows differ`);
    return differences === 0;
  });

/** The signing key of `seal`, or the trusted key of `verify --log --seal` when no --public-key is given. */
const configuredSealKey = (env: Environment, keyFile?: string) => loadSigningKey({ keyFile, pem: env.SEAL_SIGNING_KEY, pemFile: env.SEAL_SIGNING_KEY_FILE });

/** The seal in `file`, if its signature holds with the key the auditor trusts (docs/privacy.md). */
const trustedSeal = (file: string, publicKeyFile: string | undefined, env: Environment) => {
  const trusted = publicKeyFile ? loadPublicKey(publicKeyFile) : configuredSealKey(env);
  if (!trusted) throw new SealInputError('verify --log --seal needs the public key you trust: --public-key FILE (PEM), or SEAL_SIGNING_KEY(_FILE) to use the signing key\'s public half');
  let seal: unknown;
  try {
    seal = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SealInputError(`cannot read the seal ${file} as JSON: ${(error as Error).message}`);
  }
  return checkSeal(seal, trusted);
};

/**
 * Recomputes every stream's hash chain over the whole log (docs/audit-log.md); names the first broken
 * link. Events Eventix did not write (a shared EventStoreDB) are counted and skipped: they hold a
 * revision of their stream and no link of its chain. With a seal, the same pass also measures the
 * heads as they stood at the seal's position: a chain rewritten consistently still breaks the seal.
 */
const verifyLog = async (options: { seal?: string; publicKey?: string }) =>
  withContext(async ({ env, store }) => {
    const sealed = options.seal === undefined ? undefined : trustedSeal(options.seal, options.publicKey, env);
    if (sealed && !sealed.trusted) {
      out(`verify --log: SEAL REJECTED: ${sealed.reason}`);
      return false;
    }
    // revision: the last Eventix event's, which foreign events after it do not move (-1: none yet).
    const heads = new Map<string, { hash: string; next: bigint; revision: bigint }>();
    const foreignStreams = new Set<string>();
    let foreign = 0;
    const progress = progressReporter('verify --log', await store.countAll?.());
    let checked = 0;
    const againstSeal = sealed && sealCheck(sealed.seal, () => measureLog(heads, checked));
    try {
      for await (const page of pagesOf((options) => store.readAllWithForeign(options), 2_000)) {
        for (const event of page) {
          againstSeal?.passing(event.position);
          const head = heads.get(event.streamName) ?? { hash: GENESIS_HASH, next: 0n, revision: -1n };
          if ('foreign' in event) {
            foreign++;
            foreignStreams.add(event.streamName);
            heads.set(event.streamName, { hash: head.hash, next: event.revision + 1n, revision: head.revision });
            continue;
          }
          const expected = expectedLink(event.streamName, head.hash, event);
          if (event.revision !== head.next || event.metadata.hash !== expected) {
            progress.stop();
            out(`verify --log: BROKEN LINK in stream ${event.streamName} at revision ${event.revision}` +
              (event.revision !== head.next ? ` (expected revision ${head.next}: an event is missing)` : ` (its content does not match its hash ${event.metadata.hash}; expected ${expected})`));
            return false;
          }
          heads.set(event.streamName, { hash: expected, next: head.next + 1n, revision: event.revision });
          checked++;
        }
        progress.update(checked);
      }
    } finally {
      progress.stop();
    }
    const differences = againstSeal?.end() ?? [];
    if (foreign > 0) out(`verify --log: ${foreign} foreign events (not written by Eventix) in ${foreignStreams.size} streams skipped`);
    if (sealed && differences.length > 0) out(`verify --log: SEAL MISMATCH up to ${sealed.seal.position ?? 'the start'} (the seal of ${sealed.seal.sealedAt}): ${differences.join('; ')}`);
    else if (sealed) out(`verify --log: the log up to ${sealed.seal.position ?? 'its start'} matches the seal of ${sealed.seal.sealedAt}`);
    out(`verify --log: ${checked} events in ${[...heads.values()].filter((head) => head.hash !== GENESIS_HASH).length} streams, every chain intact`);
    return differences.length === 0;
  });

/**
 * Signs what the log holds now (docs/privacy.md): each stream's last event, as of the last event
 * read, in a Merkle root. Foreign events are no links of any chain, so no part of a seal.
 */
const seal = async (options: { out?: string; key?: string }) =>
  withContext(async ({ env, store }) => {
    const key = configuredSealKey(env, options.key);
    if (!key) throw new SealInputError(NO_SIGNING_KEY);
    const heads = new Map<string, StreamHead>();
    let events = 0;
    let position: Position | null = null;
    const progress = progressReporter('seal', await store.countAll?.());
    try {
      for await (const page of pagesOf((options) => store.readAllWithForeign(options), 2_000)) {
        for (const event of page) {
          if ('foreign' in event) continue;
          heads.set(event.streamName, { revision: event.revision, hash: event.metadata.hash });
          events++;
          position = event.position;
        }
        progress.update(events);
      }
    } finally {
      progress.stop();
    }
    const statement = json(sealLog(position, measureLog(heads, events), key, new Date()));
    if (!options.out) return void out(statement);
    writeFileSync(options.out, `${statement}\n`);
    out(`seal: ${events} events in ${heads.size} streams up to ${position ?? 'the start'} sealed in ${options.out}`);
  });

/** A seal command's input is not usable (no key, not a key, not a seal): said plainly, exit 2. */
const sealInput = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof SealInputError)) throw error;
    process.stderr.write(`eventix: ${error.message}\n`);
    process.exitCode = 2;
    return undefined;
  }
};

const oneLine = (event: Recorded) => {
  const { correlationId, causationId, userId, occurredAt } = event.metadata;
  return `${occurredAt}  ${event.streamName.split('-')[0].padEnd(8)} #${String(event.revision).padEnd(3)} ${event.type.padEnd(20)} by ${userId ?? '-'}  correlation ${correlationId}  causation ${causationId ?? '-'}\n      ${JSON.stringify(event.data)}`;
};

/** Histories show user ids opened, and an erased user as `[erased]` (docs/privacy.md); their hash chains are checked as stored. */
const audit = async (kind: 'booking' | 'event', id: string, options: { json?: boolean }) =>
  withContext(async ({ store, users }) => {
    const { streams: reads, events: stored } =
      kind === 'booking' ? await readBookingAudit(store, id) : await readStreams(store, [showStream(id), seatInventoryStream(id), doorStream(id)]);
    const { events } = await users.reveal(stored, 'mark');
    if (events.length === 0) {
      out(`No ${kind} ${id} in the event log`);
      return false;
    }
    const chains = reads.filter((r) => r.events.length > 0).map((r) => ({ stream: r.stream, ...verifyChain(r.stream, r.events) }));
    if (options.json) {
      out(json({ kind, id, events, chains }));
    } else {
      out(`History of ${kind} ${id} (${events.length} events):`);
      for (const event of events) out(oneLine(event));
      for (const chain of chains) out(chain.intact ? `hash chain of ${chain.stream}: intact (${chain.events} events)` : `hash chain of ${chain.stream}: BROKEN at revision ${chain.revision}`);
    }
    return chains.every((chain) => chain.intact);
  });

const stateAsOf = async (id: string, options: { asOf: Date }) =>
  withContext(async ({ store, users }) => {
    const until = (events: Recorded[]) => events.filter((e) => Date.parse(e.metadata.occurredAt) <= options.asOf.getTime());
    const { events } = await users.reveal((await readBookingAudit(store, id)).events, 'mark');
    const state = describeBooking(until(events).reduce(evolveBookingAudit, initialBookingAudit()));
    if (!state) {
      out(`booking ${id} did not exist at ${options.asOf.toISOString()}`);
      return false;
    }
    out(json({ bookingId: id, asOf: options.asOf.toISOString(), ...state }));
    return true;
  });

/**
 * NDJSON on stdout, page by page, waiting for the pipe: constant memory for any size of log. User ids
 * opened, an erased user as `[erased]`; `--as-stored`, the encrypted ids as the hash chain covers them.
 */
const exportEvents = async (options: { stream?: string; asStored?: boolean }) =>
  withContext(async ({ store, users }) => {
    const write = async (stored: Recorded[]) => {
      for (const event of options.asStored ? stored : (await users.reveal(stored, 'mark')).events) {
        const line = JSON.stringify({ stream: event.streamName, revision: Number(event.revision), position: event.position, type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata: event.metadata });
        if (!process.stdout.write(`${line}\n`)) await once(process.stdout, 'drain');
      }
    };
    if (options.stream) return write((await store.readStream(options.stream)).events);
    for await (const page of pagesOf((options) => store.readAll(options), 1_000)) await write(page);
  });

/** The event's ticket keys, as TicketKeys keeps them (ticketing.signing_keys, the private halves encrypted under TICKET_KEY_SECRET). */
const ticketKeys = async (eventId: string, work: (keys: TicketKeys) => Promise<void>) =>
  withContext(async ({ env, store, db }) => {
    if ((await store.readStream(showStream(eventId))).revision === 'no_stream') {
      out(`No event ${eventId} in the event log`);
      process.exitCode = 1;
      return;
    }
    await work(new TicketKeys(db, env));
  });

const program = new Command('eventix')
  .description('Replay, audit and verify the Eventix event log and read models. Reads the same environment as the service (DATABASE_URL, EVENTSTORE_URL, …).')
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

program
  .command('replay')
  .description('Rebuild read models from the event log into shadow tables and swap them in atomically; the API keeps answering meanwhile')
  .option('--projection <name...>', `only these projections (${PROJECTORS.map((p) => p.name).join(', ')}); default all`)
  .addOption(new Option('--until <time>', 'only events that occurred up to this time').argParser(parseTime).conflicts('untilPosition'))
  .addOption(new Option('--until-position <position>', 'only events up to this log position').argParser(parsePosition))
  .action(async (options) => replay(options));

program
  .command('verify')
  .description('Rebuild every read model in shadow tables and compare it with the live one; exit 1 and print each difference on drift')
  .option('--log', 'instead, recompute the hash chain of every stream and name the first broken link')
  .option('--seal <file>', "with --log: also check the log up to the seal's position against this seal (eventix seal); exit 1 if it differs")
  .option('--public-key <file>', 'with --seal: the public key you trust (PEM); default the public half of SEAL_SIGNING_KEY(_FILE)')
  .action(async (options, command: Command) => {
    if ((options.seal || options.publicKey) && !options.log) command.error('error: --seal and --public-key go with --log (eventix verify --log --seal FILE)');
    if ((await sealInput(() => (options.log ? verifyLog(options) : verifyReadModels()))) === false) process.exitCode = 1;
  });

program
  .command('seal')
  .description("Sign a statement of the log as it stands: each stream's last event in a Merkle root, signed with Ed25519 (docs/privacy.md); publish it where the operator cannot change it")
  .option('--out <file>', 'write the seal to this file instead of stdout')
  .option('--key <file>', 'the private key (PEM, PKCS#8); default SEAL_SIGNING_KEY, or the file SEAL_SIGNING_KEY_FILE names')
  .action(async (options) => sealInput(() => seal(options)));

program
  .command('seal-key')
  .description('Print a new Ed25519 key pair for eventix seal: the private key (PKCS#8 PEM) goes to SEAL_SIGNING_KEY or a file named by SEAL_SIGNING_KEY_FILE, the public key (SPKI PEM) to your auditors')
  .action(() => {
    const { privateKey, publicKey } = newSealKeyPair();
    process.stdout.write(privateKey + publicKey);
  });

const auditCommand = program.command('audit').description('The full history of a booking or an event: who, when, correlation and causation');
for (const kind of ['booking', 'event'] as const) {
  auditCommand
    .command(`${kind} <id>`)
    .description(
      kind === 'booking'
        ? "a booking's events, its payment's and its tickets' scans at the door, and whether their hash chains hold"
        : "an event's catalog events, its seat inventory and its door, and whether their hash chains hold",
    )
    .option('--json', 'as JSON')
    .action(async (id, options) => {
      if (!(await audit(kind, id, options))) process.exitCode = 1;
    });
}

program
  .command('state')
  .description("An aggregate's state at a past instant, from its events")
  .command('booking <id>')
  .description('the booking (and its payment) as it stood at --as-of')
  .addOption(new Option('--as-of <time>', 'the instant (ISO 8601)').argParser(parseTime).makeOptionMandatory())
  .action(async (id, options) => {
    if (!(await stateAsOf(id, options))) process.exitCode = 1;
  });

const ticketKeysCommand = program
  .command('ticket-keys')
  .description("An event's keys that sign its tickets (docs/tickets.md): list them, rotate to a new one, revoke one that leaked");
ticketKeysCommand
  .command('list <eventId>')
  .description('the public keys that verify its tickets, the signing one first (a JWKS; made if the event has none yet)')
  .action(async (eventId) => ticketKeys(eventId, async (keys) => void out(json({ keys: await keys.publicKeys(eventId) }))));
ticketKeysCommand
  .command('rotate <eventId>')
  .description('a new signing key; tickets issued from now on carry it, and those issued before still verify with the old one')
  .action(async (eventId) => ticketKeys(eventId, async (keys) => void out(json(await keys.rotate(eventId)))));
ticketKeysCommand
  .command('revoke <eventId> <kid>')
  .description('tickets signed with this key are refused at the door from now on (each instance within a minute): issue them again')
  .action(async (eventId, kid) =>
    ticketKeys(eventId, async (keys) => {
      if (await keys.revoke(eventId, kid)) out(`revoked ${kid}; GET /bookings/:id/tickets now signs with the event's current key`);
      else {
        out(`event ${eventId} has no key ${kid} that is not revoked already`);
        process.exitCode = 1;
      }
    }),
  );

program
  .command('export')
  .description('Events for auditors, one JSON object a line, streamed')
  .option('--stream <name>', 'one stream (e.g. booking-<id>); default the whole log in global order')
  .option('--as-stored', "user ids encrypted, as stored and as the hash chain covers them (docs/audit-log.md), instead of opened (an erased user's as [erased])")
  .addOption(new Option('--format <format>', 'output format').choices(['ndjson']).makeOptionMandatory())
  .action(async (options) => exportEvents(options));

program.parseAsync(process.argv).catch((error: Error) => {
  process.stderr.write(`eventix: ${error.name === 'ConfigurationError' ? error.message : (error.stack ?? String(error))}\n`);
  process.exit(2);
});
