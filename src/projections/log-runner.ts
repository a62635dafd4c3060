import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { ADVISORY_LOCKS } from '../advisory-locks.js';
import { pause } from '../pause.js';
import { upcast } from '../write/domain-event.js';
import { type Event, type EventStore, EventStoreRefusedError, type Position, type Projected, type Recorded } from '../write/event-store/event-store.port.js';

/**
 * What follows the log from a checkpoint of its own: a projector (projection.ts) or a reactor
 * (reactor.ts). `apply` handles one batch and commits the checkpoint from `from` to the batch's
 * last position, telling `moved` each checkpoint it has committed.
 */
export type Follower = {
  name: string;
  /** Where a follower without a checkpoint starts: after this position ('' or absent: the log's start). */
  startAfter?: string;
  /** `signal` aborts when the runner stops or loses its lock: a follower that waits (a retry's pause) must give up then. */
  apply(batch: Recorded[], from: string, moved: (position: string) => void, signal: AbortSignal): Promise<void>;
};

/**
 * The events of a batch that a projector or reactor follows, each read as its type's current
 * shape (`upcast`): the one place where a stored event becomes a typed one for them.
 */
export const followed = <E extends Event, P extends Projected>(handles: ReadonlySet<E['type']>, batch: P[]): (P & Projected<E>)[] => {
  // One pass: a replay runs this over every event of the log, for every projector.
  const events: (P & Projected<E>)[] = [];
  for (const event of batch) if ((handles as ReadonlySet<string>).has(event.type)) events.push(upcast(event) as P & Projected<E>);
  return events;
};

/**
 * Compare-and-set (cf. Emmett's store_processor_checkpoint): a racing runner fails (40001) instead
 * of rewinding. A projector's batch ends with the same function, inside its own transaction.
 */
export const moveCheckpoint = (tx: EntityManager, name: string, from: string, to: string) =>
  tx.query(`SELECT projections.move_checkpoint($1, $2, $3)`, [name, from, to]);

const BATCH_SIZE = 500;
const RETRY_MS = 1_000;
/** A refusal needs an operator: retried ever more rarely, up to this, so that a mended ACL heals without a restart. */
const REFUSED_RETRY_MAX_MS = 300_000;

/** `fault`: the event store refuses this runner (EventStoreRefusedError): shown in /health until a batch applies again. */
export type RunnerStatus = { projector: string; leader: boolean; position: string; lastError: string | null; fault: string | null };

/**
 * Runs one follower of the log: from its checkpoint, batch after batch, each applied together with
 * the checkpoint's move, so a crash at any instant loses nothing. With several instances, a session
 * advisory lock lets one of them run it; when that instance dies its connection, and so its lock,
 * goes, and another takes over within RETRY_MS. The checkpoint is moved by compare-and-set, so even
 * two runners that both believed they held the lock could not apply a batch twice.
 */
export class LogRunner {
  private readonly logger: Logger;
  private readonly stopping = new AbortController();
  private running?: Promise<void>;
  readonly status: RunnerStatus;

  constructor(
    private readonly follower: Follower,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly databaseUrl: string,
    /** Called each time the checkpoint this runner committed (status.position) moves. */
    private readonly onAdvance: () => void = () => undefined,
  ) {
    this.logger = new Logger(`Runner ${follower.name}`);
    this.status = { projector: follower.name, leader: false, position: '', lastError: null, fault: null };
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    let refusals = 0;
    while (!this.stopping.signal.aborted) {
      let wait = RETRY_MS;
      try {
        await this.leadWhileLocked();
      } catch (error) {
        const { message } = error as Error;
        this.status.lastError = message;
        if (error instanceof EventStoreRefusedError) {
          // Not weather: retrying every second would only fill the log. Said once per try, as this runner's fault.
          this.status.fault = message;
          wait = Math.min(RETRY_MS * 2 ** ++refusals, REFUSED_RETRY_MAX_MS);
          if (!this.stopping.signal.aborted) this.logger.error(`Cannot follow the event log: ${message}. An operator must act (credentials, the ACL of $all, the checkpoint); next try in ${wait / 1000} s`);
        } else {
          refusals = 0;
          if (!this.stopping.signal.aborted) this.logger.warn(`Stopped (${message}); retrying in ${RETRY_MS} ms`);
        }
      }
      await pause(wait, this.stopping.signal);
    }
  }

  private async leadWhileLocked(): Promise<void> {
    const { name } = this.follower;
    const lock = new Client({ connectionString: this.databaseUrl, application_name: `eventix-projector-${name}` });
    // Losing the lock's connection is losing the lock: stop at once.
    const lost = new AbortController();
    const abort = () => lost.abort();
    this.stopping.signal.addEventListener('abort', abort);
    lock.on('error', abort);
    lock.on('end', abort);
    try {
      await lock.connect();
      while (!lost.signal.aborted) {
        const { rows } = await lock.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [ADVISORY_LOCKS.followerNamespace, name]);
        if (rows[0].locked) break;
        await pause(RETRY_MS, lost.signal);
      }
      if (lost.signal.aborted) return;
      this.status.leader = true;
      this.logger.log('Running here');
      await this.follow(lost.signal);
    } finally {
      this.status.leader = false;
      this.stopping.signal.removeEventListener('abort', abort);
      await lock.end().catch(() => undefined);
    }
  }

  private async follow(signal: AbortSignal): Promise<void> {
    const { name } = this.follower;
    await this.dataSource.query(`INSERT INTO projections.checkpoints (projector, position) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [name, this.follower.startAfter ?? '']);
    const [{ position }] = await this.dataSource.query(`SELECT position FROM projections.checkpoints WHERE projector = $1`, [name]);
    this.moved(position);
    const events = this.store.subscribeToAll({ after: position === '' ? undefined : (position as Position), signal });
    for await (const batch of inBatches(events, BATCH_SIZE, signal)) {
      await this.follower.apply(batch, this.status.position, (to) => this.moved(to), signal);
      this.status.lastError = null;
      this.status.fault = null;
    }
  }

  /** Only ever a checkpoint that has committed: what a reader may rely on (ProjectionsService.waitFor). */
  private moved(position: string): void {
    this.status.position = position;
    this.onAdvance();
  }
}

/**
 * Groups a subscription into batches of what has already arrived (up to `max`): one event at a
 * time while the log is quiet, big batches while it catches up.
 */
export async function* inBatches<T>(source: AsyncIterable<T>, max: number, signal: AbortSignal): AsyncGenerator<T[]> {
  const buffer: T[] = [];
  let failure: unknown;
  let done = false;
  let wake: (() => void) | undefined;
  let drained: (() => void) | undefined;
  const notify = () => (wake?.(), (wake = undefined));
  const pump = (async () => {
    try {
      for await (const item of source) {
        buffer.push(item);
        notify();
        // Back-pressure: do not read far ahead of what is applied.
        if (buffer.length >= max * 4) await new Promise<void>((resolve) => (drained = resolve));
      }
    } catch (error) {
      failure = error;
    } finally {
      done = true;
      notify();
    }
  })();
  const onAbort = () => notify();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted) {
      if (buffer.length === 0) {
        if (done) break;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const batch = buffer.splice(0, max);
      drained?.();
      drained = undefined;
      yield batch;
    }
    if (failure) throw failure;
  } finally {
    signal.removeEventListener('abort', onAbort);
    drained?.();
    void pump;
  }
}
