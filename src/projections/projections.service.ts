import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Environment } from '../config.js';
import { EVENT_STORE, type EventStore, type Position } from '../write/event-store/event-store.port.js';
import { bookingProjector } from './booking.projector.js';
import { catalogProjector } from './catalog.projector.js';
import { paymentProjector } from './payment.projector.js';
import { ProjectionRunner } from './projection-runner.js';

export const PROJECTORS = [catalogProjector, bookingProjector, paymentProjector];

export type ProjectorHealth = { projector: string; runsHere: boolean; position: string; parked: number };

/** The projectors of this service, and what the query side asks of them. */
@Injectable()
export class ProjectionsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly runners: ProjectionRunner[];

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    private readonly dataSource: DataSource,
    env: Environment,
  ) {
    this.runners = PROJECTORS.map((projector) => new ProjectionRunner(projector, store, dataSource, env.DATABASE_URL));
  }

  onApplicationBootstrap() {
    for (const runner of this.runners) runner.start();
  }

  // Before the database and the event store close: a batch in flight commits or rolls back whole.
  async beforeApplicationShutdown() {
    await Promise.all(this.runners.map((runner) => runner.stop()));
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
         FROM unnest($1::text[]) AS p(name) LEFT JOIN projections.checkpoints c ON c.projector = p.name`,
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
