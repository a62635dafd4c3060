import type { DomainError } from '../../src/write/domain-error.js';
import type { Decider } from '../../src/write/event-store/handle-command.js';
import type { Event } from '../../src/write/event-store/event-store.port.js';

/** given(history).when(command).then(events) — a decider's behaviour, with no database. */
export const specification =
  <S, C, E extends Event>(decider: Decider<S, C, E>) =>
  (...history: E[]) => ({
    when: (command: C) => {
      const run = () => decider.decide(command, history.reduce(decider.evolve, decider.initialState()));
      return {
        then: (...expected: E[]) => expect(run()).toEqual(expected),
        thenFails: (kind: DomainError['kind'], extra?: Record<string, unknown>) =>
          expect(run).toThrow(expect.objectContaining({ kind, ...(extra ? { extra: expect.objectContaining(extra) } : {}) })),
      };
    },
  });
