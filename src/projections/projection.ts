import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Projected, Recorded } from '../write/event-store/event-store.port.js';
import type { UserIdReader } from '../write/privacy/user-keys.js';
import { type Follower, followed, moveCheckpoint } from './log-runner.js';
import { inlined, type Projector, sql } from './projector.js';

/** A projector's own code threw on an event. */
class ProjectionError extends Error {}

/** SQLSTATE classes that say the database, not the event, is the trouble: retry, never park. */
const TRANSIENT = /^(08|40|53|55|57|58)/;
/** privacy.hold_erasures: a user was erased after this batch read its keys (migrations/1765800000000-Privacy.ts). */
const ERASED_MEANWHILE = '40E01';

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
 * A projector as the log runner drives it: each batch in one transaction together with the events'
 * processed marks and the new checkpoint, so a batch is applied whole or not at all, and never twice.
 * A batch that cannot be applied is applied event by event, and the event at fault is parked.
 */
export const projection = (projector: Projector, dataSource: DataSource, users: UserIdReader): Follower => {
  const logger = new Logger(`Projector ${projector.name}`);

  const project = (event: Projected) => {
    try {
      return projector.project(event);
    } catch (error) {
      throw new ProjectionError((error as Error).message);
    }
  };

  /**
   * The batch as one round trip (BEGIN … COMMIT in one simple query): its transaction holds an id
   * from its first write, and until it ends every reader of the log — the other projectors, the
   * reactors — sees nothing newer. The events marked processed before (a replay, or a batch that
   * committed before a crash) are found first, by a read that takes no id; a runner racing this one
   * would have moved the checkpoint, and the compare-and-set then undoes it all.
   */
  const applyBatch = async (batch: Recorded[], from: string, to: string): Promise<void> => {
    const { name } = projector;
    const handled = followed(projector.handles, batch);
    const marked: { event_id: string }[] =
      handled.length === 0
        ? []
        : await dataSource.query(`SELECT event_id FROM booking.processed_events WHERE projector = $1 AND event_id = ANY($2::uuid[])`, [
            name,
            handled.map((event) => event.metadata.eventId),
          ]);
    const seen = new Set(marked.map((row) => row.event_id));
    const fresh = handled.filter((event) => !seen.has(event.metadata.eventId));
    // A projector that keeps user ids gets them opened, and holds the erasure generation its keys
    // were read at until it commits: an erasure either waits for it or makes it read them again.
    const { events, generation } = projector.personal ? await users.reveal(fresh, 'id') : { events: fresh, generation: undefined };
    const statements = [
      ...(generation === undefined ? [] : [sql`SELECT privacy.hold_erasures(${generation}::bigint)`]),
      ...(fresh.length === 0
        ? []
        : [
            sql`INSERT INTO booking.processed_events (projector, event_id, event_type)
                SELECT ${name}, e.id, e.type FROM unnest(${fresh.map((e) => e.metadata.eventId)}::uuid[], ${fresh.map((e) => e.type)}::text[]) AS e(id, type)
                ON CONFLICT DO NOTHING`,
          ]),
      ...events.flatMap(project),
      sql`SELECT projections.move_checkpoint(${name}, ${from}, ${to})`,
    ];
    // A read model is derived from the durable log: if the server crashes before this commit reaches
    // the disk, the checkpoint goes back with the rows and the batch is applied again. So its commit
    // does not wait for the disk, which under an on-sale's stream of appends is a queue of flushes.
    const text = ['BEGIN', 'SET LOCAL synchronous_commit TO OFF', ...statements.map(inlined), 'COMMIT'].join(';\n');
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query(text);
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      if ((error as { code?: string }).code === ERASED_MEANWHILE) users.forget();
      throw error;
    } finally {
      await runner.release();
    }
  };

  const applyOrPark = async (event: Recorded, from: string): Promise<void> => {
    try {
      await applyBatch([event], from, event.position);
    } catch (error) {
      if (!isPoison(error)) throw error;
      const reason = (error as Error).message;
      logger.error(`Parked ${event.type} ${event.metadata.eventId} (${event.streamName}@${event.revision}): ${reason}`);
      await dataSource.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO projections.parked_events (projector, event_id, position, stream_name, event_type, error)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
          [projector.name, event.metadata.eventId, event.position, event.streamName, event.type, reason],
        );
        await moveCheckpoint(tx, projector.name, from, event.position);
      });
    }
  };

  return {
    name: projector.name,
    apply: async (batch, from, moved) => {
      try {
        await applyBatch(batch, from, batch[batch.length - 1].position);
        moved(batch[batch.length - 1].position);
      } catch (error) {
        if (!isPoison(error)) throw error;
        // Some event of the batch cannot be applied: apply them one by one and park the one that fails.
        for (const [i, event] of batch.entries()) {
          await applyOrPark(event, i === 0 ? from : batch[i - 1].position);
          moved(event.position);
        }
      }
    },
  };
};
