import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { Environment } from '../config.js';
import { Metrics } from '../metrics.js';
import { comparePositions, EVENT_STORE, type EventStore, type Position } from '../write/event-store/event-store.port.js';
import { FollowUps } from './follow-ups.reactor.js';
import { KafkaPublisher } from './kafka-publisher.js';
import { type Follower, LogRunner } from './log-runner.js';
import { projection } from './projection.js';
import { PROJECTORS } from './projectors.js';
import { UserKeys } from '../write/privacy/user-keys.js';
import { reaction, type Reactor } from './reactor.js';

/** How often a read-your-writes wait looks at the checkpoints table while some projector runs in another instance. */
const POLL_MS = 10;
/** …and while all run here (they wake it as they commit): only in case leadership moved meanwhile. */
const LOCAL_RECHECK_MS = 250;

/** `fault`: why the event store refuses this projector, when it runs here and does (see LogRunner). */
export type ProjectorHealth = { projector: string; runsHere: boolean; position: string; parked: number; fault: string | null };

/** The projectors of this service, and what the query side asks of them. */
@Injectable()
export class ProjectionsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly runners: LogRunner[];

  /** The reactors' runners: follow-ups always, the Kafka publisher when KAFKA_BROKERS is set. */
  readonly reactors: LogRunner[];

  /** Read-your-writes waits, woken when a runner here commits (waitFor). */
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly dataSource: DataSource,
    env: Environment,
    followUps: FollowUps,
    private readonly publisher: KafkaPublisher,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    metrics: Metrics,
    users: UserKeys,
  ) {
    const runner = (follower: Follower, onAdvance?: () => void) => new LogRunner(follower, store, dataSource, env.DATABASE_URL, onAdvance);
    // Only the projectors' commits matter to read-your-writes; the reactors' would wake its waits for nothing.
    this.runners = PROJECTORS.map((projector) => runner(projection(projector, dataSource, users), () => this.advanced()));
    const reactors: Reactor[] = [followUps, ...(publisher.enabled ? [publisher] : [])];
    this.reactors = reactors.map((reactor) => runner(reaction(reactor, dataSource)));
    this.registerMetrics(metrics);
  }

  private registerMetrics(metrics: Metrics) {
    const lag = new Gauge({
      name: 'eventix_projection_lag_seconds',
      help: 'Age of the oldest event in the log a projector or reactor has not applied yet (0 when caught up); kafka-publisher is the publisher lag',
      labelNames: ['projector'],
      registers: [metrics.registry],
      collect: async () => {
        for (const [projector, seconds] of await this.lagSeconds()) lag.set({ projector }, seconds);
      },
    });
    const parked = new Gauge({
      name: 'eventix_parked_events',
      help: 'Events a projector could not apply and set aside (projections.parked_events); anything above 0 needs a person',
      labelNames: ['projector'],
      registers: [metrics.registry],
      collect: async () => {
        for (const { projector, parked: count } of await this.health()) parked.set({ projector }, count);
      },
    });
  }

  /** Per follower of the log: how old the first event after its checkpoint is, wherever the follower runs. */
  private async lagSeconds(names = [...this.runners, ...this.reactors].map((runner) => runner.status.projector)): Promise<[string, number][]> {
    const rows: { projector: string; position: string | null }[] = await this.dataSource.query(
      `SELECT p.name AS projector, c.position FROM unnest($1::text[]) AS p(name) LEFT JOIN projections.checkpoints c ON c.projector = p.name`,
      [names],
    );
    return Promise.all(
      rows.map(async ({ projector, position }): Promise<[string, number]> => {
        const [next] = await this.store.readAll({ after: position ? (position as Position) : undefined, limit: 1 });
        return [projector, next ? Math.max(0, (Date.now() - Date.parse(next.metadata.occurredAt)) / 1000) : 0];
      }),
    );
  }

  onApplicationBootstrap() {
    for (const runner of [...this.runners, ...this.reactors]) runner.start();
  }

  // Before the database and the event store close: a batch in flight commits or rolls back whole.
  async beforeApplicationShutdown() {
    await Promise.all([...this.runners, ...this.reactors].map((runner) => runner.stop()));
  }

  /** The Kafka publisher's checkpoint and lag (it waits while Kafka is unset or down), for /health. */
  async publisherHealth(): Promise<{ configured: boolean; runsHere: boolean; position: string; lagSeconds: number; lastError: string | null }> {
    const [row] = await this.dataSource.query(`SELECT position FROM projections.checkpoints WHERE projector = $1`, [this.publisher.name]);
    const here = this.reactors.find((runner) => runner.status.projector === this.publisher.name)?.status;
    const [[, lagSeconds]] = this.publisher.enabled ? await this.lagSeconds([this.publisher.name]) : [['', 0]];
    return { configured: this.publisher.enabled, runsHere: here?.leader ?? false, position: row?.position ?? '', lagSeconds, lastError: here?.lastError ?? null };
  }

  /**
   * Waits until every projector has applied the log up to `position`, at most `timeoutMs`; says
   * whether it did. The projectors running here say so the moment they commit, with no query; a
   * projector running in another instance is looked up in its checkpoint, every POLL_MS. A
   * runner's position is always a checkpoint it committed, so it may be behind the table (another
   * instance took over) but never ahead: when it says yes, the read models are there.
   */
  async waitFor(position: Position, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let timedOut = false; ; ) {
      if (this.runners.every((runner) => runner.status.position !== '' && comparePositions(runner.status.position as Position, position) >= 0)) return true;
      const allHere = this.runners.every((runner) => runner.status.leader);
      if ((!allHere || timedOut) && (await this.caughtUpInCheckpoints(position))) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      timedOut = !(await this.nextAdvance(Math.min(left, allHere ? LOCAL_RECHECK_MS : POLL_MS)));
    }
  }

  /** Resolves true when a runner here moves its checkpoint, false after `ms`. */
  private nextAdvance(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => done(true);
      const done = (advanced: boolean) => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve(advanced);
      };
      const timer = setTimeout(() => done(false), ms);
      this.waiting.add(wake);
    });
  }

  private advanced(): void {
    for (const wake of [...this.waiting]) wake();
  }

  /** Whether every projector, wherever it runs, has applied the log up to `position`, by the checkpoints table. */
  private async caughtUpInCheckpoints(position: Position): Promise<boolean> {
    // COLLATE "C": positions compare character by character; a locale's collation would ignore the ':'.
    const [{ behind }] = await this.dataSource.query(
      `SELECT $2::int - count(*) FILTER (WHERE position COLLATE "C" >= $1 COLLATE "C") AS behind
         FROM projections.checkpoints WHERE projector = ANY($3)`,
      [position, PROJECTORS.length, PROJECTORS.map((p) => p.name)],
    );
    return Number(behind) === 0;
  }

  async health(): Promise<ProjectorHealth[]> {
    const rows: { projector: string; position: string | null; parked: string }[] = await this.dataSource.query(
      `SELECT p.name AS projector, c.position, (SELECT count(*) FROM projections.parked_events x WHERE x.projector = p.name) AS parked
         FROM unnest($1::text[]) WITH ORDINALITY AS p(name, n) LEFT JOIN projections.checkpoints c ON c.projector = p.name
        ORDER BY p.n`,
      [PROJECTORS.map((p) => p.name)],
    );
    return rows.map((row) => {
      const here = this.runners.find((runner) => runner.status.projector === row.projector)?.status;
      return { projector: row.projector, runsHere: here?.leader ?? false, position: row.position ?? '', parked: Number(row.parked), fault: here?.fault ?? null };
    });
  }

  /** Runners here (projectors and reactors) that the event store refuses: they need an operator. */
  faults(): { runner: string; fault: string }[] {
    return [...this.runners, ...this.reactors].flatMap(({ status }) => (status.fault ? [{ runner: status.projector, fault: status.fault }] : []));
  }
}
