import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventStore, Position, Recorded } from '../write/event-store/event-store.port.js';
import { inlined, type Projector, sql } from './projector.js';

/**
 * A follower of the log that acts outside the read-model database (publishes to Kafka, sends
 * commands): it reacts to a batch, then its checkpoint moves. A crash in between makes it react
 * to the batch again, so reactions must be idempotent (at-least-once). A reaction that throws is
 * retried, never skipped: a reactor parks nothing, it handles its own hopeless cases.
 */
export type Reactor = {
  name: string;
  handles: ReadonlySet<string>;
  react: (batch: Recorded[]) => Promise<void>;
};

/** Advisory-lock namespace of projectors (the event store locks streams with one-key locks, a separate space). */
const LOCK_NAMESPACE = 7_301;
const BATCH_SIZE = 500;
const RETRY_MS = 1_000;

export type RunnerStatus = { projector: string; leader: boolean; position: string; lastError: string | null };

/** A projector's own code threw on an event. */
class ProjectionError extends Error {}

/** SQLSTATE classes that say the database, not the event, is the trouble: retry, never park. */
const TRANSIENT = /^(08|40|53|55|57|58)/;

/**
 * An event is parked only when it is the event's fault: the projector threw on it, or the
 * database refused its SQL (bad data, a broken constraint). A lost connection or a conflict is
 * retried instead: parking then would skip events that are fine.
 */
const isPoison = (error: unknown) => {
  if (error instanceof ProjectionError) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !TRANSIENT.test(code);
};

/**
 * Runs one projector: follows the event log from the projector's checkpoint and applies each batch
 * in one transaction together with the events' processed marks and the new checkpoint, so a crash
 * at any instant loses and repeats nothing. With several instances, a session advisory lock lets
 * one of them run it; when that instance dies its connection, and so its lock, goes, and another
 * takes over within RETRY_MS. The checkpoint is moved by compare-and-set, so even two runners
 * that both believed they held the lock could not apply a batch twice.
 */
export class ProjectionRunner {
  private readonly logger: Logger;
  private readonly stopping = new AbortController();
  private running?: Promise<void>;
  readonly status: RunnerStatus;

  constructor(
    private readonly projector: Projector | Reactor,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly databaseUrl: string,
    /** Called each time the checkpoint this runner committed (status.position) moves. */
    private readonly onAdvance: () => void = () => undefined,
  ) {
    this.logger = new Logger(`Projector ${projector.name}`);
    this.status = { projector: projector.name, leader: false, position: '', lastError: null };
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        await this.leadWhileLocked();
      } catch (error) {
        this.status.lastError = (error as Error).message;
        if (!this.stopping.signal.aborted) this.logger.warn(`Stopped (${(error as Error).message}); retrying in ${RETRY_MS} ms`);
      }
      await pause(RETRY_MS, this.stopping.signal);
    }
  }

  private async leadWhileLocked(): Promise<void> {
    const lock = new Client({ connectionString: this.databaseUrl, application_name: `eventix-projector-${this.projector.name}` });
    // Losing the lock's connection is losing the lock: stop projecting at once.
    const lost = new AbortController();
    const abort = () => lost.abort();
    this.stopping.signal.addEventListener('abort', abort);
    lock.on('error', abort);
    lock.on('end', abort);
    try {
      await lock.connect();
      while (!lost.signal.aborted) {
        const { rows } = await lock.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [LOCK_NAMESPACE, this.projector.name]);
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
    await this.dataSource.query(`INSERT INTO projections.checkpoints (projector) VALUES ($1) ON CONFLICT DO NOTHING`, [this.projector.name]);
    const [{ position }] = await this.dataSource.query(`SELECT position FROM projections.checkpoints WHERE projector = $1`, [this.projector.name]);
    this.moved(position);
    const events = this.store.subscribeToAll({ after: position === '' ? undefined : (position as Position), signal });
    for await (const batch of inBatches(events, BATCH_SIZE, signal)) {
      await this.apply(batch);
      this.status.lastError = null;
    }
  }

  /** One transaction: the read-model changes, the processed marks and the checkpoint, or none of them. */
  async apply(batch: Recorded[]): Promise<void> {
    const from = this.status.position;
    const to = batch[batch.length - 1].position;
    if ('react' in this.projector) {
      const handled = batch.filter((event) => this.projector.handles.has(event.type));
      if (handled.length > 0) await this.projector.react(handled);
      await this.dataSource.transaction((tx) => this.moveCheckpoint(tx, from, to));
      this.moved(to);
      return;
    }
    try {
      await this.applyBatch(batch, from, to);
    } catch (error) {
      if (!isPoison(error)) throw error;
      // Some event of the batch cannot be applied: apply them one by one and park the one that fails.
      for (const event of batch) await this.applyOrPark(event);
      return;
    }
    this.moved(to);
  }

  /** Only ever a checkpoint that has committed: what a reader may rely on (ProjectionsService.waitFor). */
  private moved(position: string): void {
    this.status.position = position;
    this.onAdvance();
  }

  /**
   * The batch as one round trip (BEGIN … COMMIT in one simple query): its transaction holds an id
   * from its first write, and until it ends every reader of the log — the other projectors, the
   * reactors — sees nothing newer. Spread over several round trips through an event loop busy with
   * an on-sale, that held the whole pipeline back. The events marked processed before (a replay, or
   * a batch that committed before a crash) are found first, by a read that takes no id; a runner
   * racing this one would have moved the checkpoint, and the compare-and-set then undoes it all.
   */
  private async applyBatch(batch: Recorded[], from: string, to: string): Promise<void> {
    if ('react' in this.projector) throw new Error('unreachable: reactors do not apply SQL');
    const { name } = this.projector;
    const handled = batch.filter((event) => this.projector.handles.has(event.type));
    const marked: { event_id: string }[] =
      handled.length === 0
        ? []
        : await this.dataSource.query(`SELECT event_id FROM booking.processed_events WHERE projector = $1 AND event_id = ANY($2::uuid[])`, [
            name,
            handled.map((event) => event.metadata.eventId),
          ]);
    const seen = new Set(marked.map((row) => row.event_id));
    const fresh = handled.filter((event) => !seen.has(event.metadata.eventId));
    const statements = [
      ...(fresh.length === 0
        ? []
        : [
            sql`INSERT INTO booking.processed_events (projector, event_id, event_type)
                SELECT ${name}, e.id, e.type FROM unnest(${fresh.map((e) => e.metadata.eventId)}::uuid[], ${fresh.map((e) => e.type)}::text[]) AS e(id, type)
                ON CONFLICT DO NOTHING`,
          ]),
      ...fresh.flatMap((event) => this.project(event)),
      sql`SELECT projections.move_checkpoint(${name}, ${from}, ${to})`,
    ];
    // A read model is derived from the durable log: if the server crashes before this commit reaches
    // the disk, the checkpoint goes back with the rows and the batch is applied again. So its commit
    // does not wait for the disk, which under an on-sale's stream of appends is a queue of flushes.
    const text = ['BEGIN', 'SET LOCAL synchronous_commit TO OFF', ...statements.map(inlined), 'COMMIT'].join(';\n');
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.query(text);
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private project(event: Recorded) {
    if ('react' in this.projector) throw new Error('unreachable: reactors do not project');
    try {
      return this.projector.project(event);
    } catch (error) {
      throw new ProjectionError((error as Error).message);
    }
  }

  /**
   * Compare-and-set (cf. Emmett's store_processor_checkpoint): a racing runner fails (40001) instead
   * of rewinding. The same function as a projector batch's last statement.
   */
  private async moveCheckpoint(tx: EntityManager, from: string, to: string): Promise<void> {
    await tx.query(`SELECT projections.move_checkpoint($1, $2, $3)`, [this.projector.name, from, to]);
  }

  private async applyOrPark(event: Recorded): Promise<void> {
    const from = this.status.position;
    try {
      await this.applyBatch([event], from, event.position);
    } catch (error) {
      if (!isPoison(error)) throw error;
      const reason = (error as Error).message;
      this.logger.error(`Parked ${event.type} ${event.metadata.eventId} (${event.streamName}@${event.revision}): ${reason}`);
      await this.dataSource.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO projections.parked_events (projector, event_id, position, stream_name, event_type, error)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
          [this.projector.name, event.metadata.eventId, event.position, event.streamName, event.type, reason],
        );
        await this.moveCheckpoint(tx, from, event.position);
      });
    }
    this.moved(event.position);
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

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => (clearTimeout(timer), signal.removeEventListener('abort', done), resolve());
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
