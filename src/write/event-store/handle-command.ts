import { upcast } from '../domain-event.js';
import type { Event, EventStore, MessageContext, Position, Recorded } from './event-store.port.js';
import { WrongExpectedRevisionError } from './event-store.port.js';

/** One consistency boundary: pure functions over its own events. */
export type Decider<State, Command, E extends Event> = {
  initialState: () => State;
  evolve: (state: State, event: E) => State;
  decide: (command: Command, state: State) => E[];
};

/** A stream's stored events as its decider reads them: today's shapes (`upcast`) of its own types, the only ones its stream holds. */
export const asDecided = <E extends Event>(event: Recorded): Recorded<E> => upcast(event) as Recorded<E>;

export type Handled<State, E extends Event> = {
  /** The state after the command. */
  state: State;
  /** What this command appended ([] when it changed nothing, e.g. a retried cancel). */
  events: E[];
  /** Position of the stream's last event: clients pass it as X-Min-Position. */
  position: Position | undefined;
};

/**
 * The position an HTTP command answers with. Only a command that appends nothing to a stream no one
 * wrote to has none, and every decider refuses those (404): so never, and a 500 if it were.
 */
export const answeredPosition = (position: Position | undefined): Position => {
  if (position === undefined) throw new Error('A command answered without a position');
  return position;
};

const MAX_ATTEMPTS = 5;

/** Folds a stream into its decider's state. */
export const loadState = async <State, Command, E extends Event>(
  store: EventStore,
  stream: string,
  decider: Decider<State, Command, E>,
): Promise<Loaded<State>> => {
  const { events, revision } = await store.readStream(stream);
  const state = events.map(asDecided<E>).reduce(decider.evolve, decider.initialState());
  return { state, revision, position: events.at(-1)?.position };
};

export type Loaded<State> = { state: State; revision: bigint | 'no_stream'; position: Position | undefined };

/** A stream no one has written to (a new random id names it): nothing to read. */
export const unwritten = <State, Command, E extends Event>(decider: Decider<State, Command, E>): Loaded<State> => ({
  state: decider.initialState(),
  revision: 'no_stream',
  position: undefined,
});

/**
 * Load, decide, append — every aggregate's command goes through this loop. Appending at the
 * revision we read makes a concurrent writer fail the append instead of interleaving; decide is
 * pure, so running the loop again on the new state is safe. After a few lost races the conflict
 * goes to the caller (409).
 */
export const handleCommand = async <State, Command, E extends Event>(
  store: EventStore,
  stream: string,
  decider: Decider<State, Command, E>,
  command: Command,
  context: MessageContext,
  /** The stream as the caller already has it: the first attempt decides on it without a read. */
  known?: Loaded<State>,
): Promise<Handled<State, E>> => {
  for (let attempt = 1; ; attempt++) {
    const { state, revision, position } = attempt === 1 && known ? known : await loadState(store, stream, decider);
    const events = decider.decide(command, state);
    if (events.length === 0) return { state, events, position };
    try {
      const appended = await store.appendToStream(stream, events, {
        expectedRevision: revision === 'no_stream' ? 'no_stream' : revision,
        context,
      });
      return { state: events.reduce(decider.evolve, state), events, position: appended.position };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
};
