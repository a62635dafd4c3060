import { pause } from '../../pause.js';
import { type Event, type EventStore, type MessageContext, type Position, WrongExpectedRevisionError } from './event-store.port.js';
import type { Decider } from './handle-command.js';
import type { StreamCache } from './stream-cache.js';

/** What one command of a batch came to: its events, or the error that refused it. */
export type BatchOutcome<E> = { events: E[] } | { error: unknown };

/** What a caller of a batched command gets: its own events, where the stream is once its batch is in, and the state then. */
export type Batched<State, E> = { events: E[]; position: Position | undefined; state: State };

/**
 * How a stream's commands are decided together. `decideBatch` decides them one after another on
 * one state without changing it (each sees the events of those before it); `forgetDraft` undoes
 * whatever a batch that was not appended left behind in the state (the seat inventory's index).
 */
export type BatchDecision<State, Command, E> = {
  decideBatch: (commands: Command[], state: State) => BatchOutcome<E>[];
  forgetDraft?: (state: State) => void;
};

/** decideBatch for a decider whose evolve returns a new state: decide, evolve, next. */
export const decideInTurn =
  <State, Command, E extends Event>(decider: Decider<State, Command, E>) =>
  (commands: Command[], state: State): BatchOutcome<E>[] =>
    commands.map((command) => {
      try {
        const events = decider.decide(command, state);
        state = events.reduce(decider.evolve, state);
        return { events };
      } catch (error) {
        return { error };
      }
    });

type Waiting<Command, State, E> = {
  command: Command;
  context: MessageContext;
  resolve: (result: Batched<State, E>) => void;
  reject: (error: unknown) => void;
};

/** The commands waiting for one stream, and whether a batch of them is under way. */
type Queue<Command, State, E> = { stream: string; waiting: Waiting<Command, State, E>[]; running: boolean };

const MAX_BATCH = 256;
const MAX_ATTEMPTS = 12;
const IMMEDIATE_RETRIES = 4;
const MAX_PAUSE_MS = 100;

/**
 * Commands of one stream that arrive together — thousands of reservations of one event, fifty gates
 * scanning one ticket — must not each reload the stream and queue for its revision one by one: the
 * state stays in memory (a StreamCache), and the commands that arrive while an append is in flight
 * wait and then go together, decided one after another on the same state and appended in one call.
 *
 * Correctness does not depend on the memory: every batch first reads what other instances
 * appended since, and appends at the revision it decided on. If another instance got there first
 * the append fails, and the batch is decided again on the newer state.
 */
export class CommandBatcher<State, Command, E extends Event> {
  private readonly queues = new Map<string, Queue<Command, State, E>>();

  constructor(
    private readonly store: EventStore,
    private readonly states: StreamCache<State, Command, E>,
    private readonly decision: BatchDecision<State, Command, E>,
  ) {}

  execute(stream: string, command: Command, context: MessageContext): Promise<Batched<State, E>> {
    let queue = this.queues.get(stream);
    if (!queue) this.queues.set(stream, (queue = { stream, waiting: [], running: false }));
    return new Promise((resolve, reject) => {
      queue.waiting.push({ command, context, resolve, reject });
      void this.drain(queue);
    });
  }

  private async drain(queue: Queue<Command, State, E>): Promise<void> {
    if (queue.running) return;
    queue.running = true;
    try {
      while (queue.waiting.length > 0) await this.decideAndAppend(queue.stream, queue.waiting.splice(0, MAX_BATCH));
    } finally {
      queue.running = false;
      this.queues.delete(queue.stream);
    }
  }

  private async decideAndAppend(stream: string, batch: Waiting<Command, State, E>[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let decidedOn: State | undefined;
      try {
        // The state in memory, plus whatever other instances appended since.
        const loaded = await this.states.load(stream);
        decidedOn = loaded.state;
        const outcomes = this.decision.decideBatch(
          batch.map((waiting) => waiting.command),
          loaded.state,
        );
        const events = outcomes.flatMap((outcome) => ('events' in outcome ? outcome.events : []));
        // Where the stream is once this batch is in: the batch's own append, or the state it was decided on.
        let { position, state } = loaded;
        if (events.length > 0) {
          const contexts = batch.flatMap((waiting, i) => {
            const outcome = outcomes[i];
            return 'events' in outcome ? outcome.events.map(() => waiting.context) : [];
          });
          const appended = await this.store.appendToStream(stream, events, {
            expectedRevision: loaded.revision === 'no_stream' ? 'no_stream' : loaded.revision,
            context: contexts,
          });
          position = appended.position;
          state = this.states.record(stream, events, appended.nextRevision, appended.position);
        }
        batch.forEach((waiting, i) => {
          const outcome = outcomes[i];
          if ('events' in outcome) waiting.resolve({ events: outcome.events, position, state });
          else waiting.reject(outcome.error);
        });
        return;
      } catch (error) {
        if (decidedOn !== undefined) this.decision.forgetDraft?.(decidedOn);
        // Another instance appended first: read what it wrote and decide the batch again. At once:
        // the winner is still answering its batch, so the loser's retry usually goes next. Only after
        // several lost races in a row, a random pause, in case two instances have fallen into step.
        if (error instanceof WrongExpectedRevisionError && attempt < MAX_ATTEMPTS) {
          if (attempt >= IMMEDIATE_RETRIES) await pause(Math.random() * Math.min(MAX_PAUSE_MS, 2 ** attempt));
          continue;
        }
        for (const waiting of batch) waiting.reject(error);
        return;
      }
    }
  }
}
