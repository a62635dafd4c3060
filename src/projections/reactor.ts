import type { DataSource } from 'typeorm';
import type { Event, Recorded } from '../write/event-store/event-store.port.js';
import { type Follower, followed, moveCheckpoint } from './log-runner.js';

/**
 * A follower of the log that acts outside the read-model database (publishes to Kafka, sends
 * commands): it reacts to a batch, then its checkpoint moves. A crash in between makes it react
 * to the batch again, so reactions must be idempotent (at-least-once). A reaction that throws is
 * retried, never skipped: a reactor parks nothing, it handles its own hopeless cases.
 */
export type Reactor<E extends Event = Event> = {
  name: string;
  handles: ReadonlySet<E['type']>;
  react(batch: Recorded<E>[]): Promise<void>;
};

/** A reactor as the log runner drives it: react to what it follows, then move the checkpoint. */
export const reaction = (reactor: Reactor, dataSource: DataSource): Follower => ({
  name: reactor.name,
  apply: async (batch, from, moved) => {
    const handled = followed(reactor.handles, batch);
    if (handled.length > 0) await reactor.react(handled);
    const to = batch[batch.length - 1].position;
    await dataSource.transaction((tx) => moveCheckpoint(tx, reactor.name, from, to));
    moved(to);
  },
});
