import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Environment } from '../config.js';
import { EVENT_STORE, type EventStore, type Position } from '../write/event-store/event-store.port.js';
import { bookingProjector } from './booking.projector.js';
import { catalogProjector } from './catalog.projector.js';
import { paymentProjector } from './payment.projector.js';
import { FollowUps } from '../write/follow-ups.reactor.js';
import { KafkaPublisher } from './kafka-publisher.js';
import { ProjectionRunner, type Reactor } from './projection-runner.js';
import type { Projector } from './projector.js';

export const PROJECTORS = [catalogProjector, bookingProjector, paymentProjector];

export type ProjectorHealth = { projector: string; runsHere: boolean; position: string; parked: number };

/** The projectors of this service, and what the query side asks of them. */
@Injectable()
export class ProjectionsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly runners: ProjectionRunner[];

  /** The reactors' runners: follow-ups always, the Kafka publisher when KAFKA_BROKERS is set. */
  readonly reactors: ProjectionRunner[];

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    private readonly dataSource: DataSource,
    env: Environment,
    followUps: FollowUps,
    private readonly publisher: KafkaPublisher,
  ) {
    const runner = (follower: Projector | Reactor) => new ProjectionRunner(follower, store, dataSource, env.DATABASE_URL);
    this.runners = PROJECTORS.map(runner);
    this.reactors = [followUps, ...(publisher.enabled ? [publisher] : [])].map(runner);
  }

  onApplicationBootstrap() {
    for (const runner of [...this.runners, ...this.reactors]) runner.start();
  }

  // Before the database and the event store close: a batch in flight commits or rolls back whole.
  async beforeApplicationShutdown() {
    await Promise.all([...this.runners, ...this.reactors].map((runner) => runner.stop()));
  }

  /** The Kafka publisher's checkpoint (it waits while Kafka is unset or down), for /health. */
  async publisherHealth(): Promise<{ configured: boolean; runsHere: boolean; position: string; lastError: string | null }> {
    const [row] = await this.dataSource.query(`SELECT position FROM projections.checkpoints WHERE projector = $1`, [this.publisher.name]);
    const here = this.reactors.find((runner) => runner.status.projector === this.publisher.name)?.status;
    return { configured: this.publisher.enabled, runsHere: here?.leader ?? false, position: row?.position ?? '', lastError: here?.lastError ?? null };
  }

  /** Whether every projector, wherever it runs, has applied the log up to `position`. */
  async caughtUp(position: Position): Promise<boolean> {
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
    return rows.map((row) => ({
      projector: row.projector,
      runsHere: this.runners.find((runner) => runner.status.projector === row.projector)?.status.leader ?? false,
      position: row.position ?? '',
      parked: Number(row.parked),
    }));
  }
}
