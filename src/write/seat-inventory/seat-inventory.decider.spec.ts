import { specification } from '../../../test/support/given.js';
import { DomainError } from '../domain-error.js';
import fc from 'fast-check';
import { layoutOf } from '../catalog/venue-layout.js';
import type { BatchOutcome } from '../event-store/command-batcher.js';
import { decideBatch, forgetDraft, type ReserveBest, type ReserveSeats, type SeatInventoryCommand, seatInventoryDecider, seatInventorySnapshot } from './seat-inventory.decider.js';
import type { SeatInventoryEvent, SeatsReleased, SeatsReserved } from './seat-inventory.events.js';

const given = specification(seatInventoryDecider);
const eventId = 'e-1';
// Each booking is its own user's unless a test says otherwise: user-b-1 holds b-1.
const reserveAs = (userId: string, bookingId: string, ...seatIds: string[]): ReserveSeats => ({
  type: 'ReserveSeats',
  data: { eventId, bookingId, seatIds, userId, maxSeatsPerUser: 4 },
});
const reservedAs = (userId: string, bookingId: string, ...seatIds: string[]): SeatsReserved => ({ type: 'SeatsReserved', data: { eventId, bookingId, seatIds, userId } });
const reserve = (bookingId: string, ...seatIds: string[]) => reserveAs(`user-${bookingId}`, bookingId, ...seatIds);
const reserved = (bookingId: string, ...seatIds: string[]) => reservedAs(`user-${bookingId}`, bookingId, ...seatIds);
const released = (bookingId: string, ...seatIds: string[]): SeatsReleased => ({
  type: 'SeatsReleased',
  data: { eventId, bookingId, seatIds, reason: 'booking-cancelled' },
});

// One row of five seats, 1-5: the middle seat 3 is the best, then 2 and 4.
const layout = layoutOf([1, 2, 3, 4, 5].map((n) => ({ seatId: `s-${n}`, row: 'A', number: n, type: 'REGULAR' as const })));
const best = (bookingId: string, quantity: number, userId = `user-${bookingId}`): ReserveBest => ({
  type: 'ReserveBest',
  data: { eventId, bookingId, userId, maxSeatsPerUser: 4, quantity, seatType: null, seatTypes: ['REGULAR'], section: null, layout },
});
const chosen = (bookingId: string, quantity: number, ...seatIds: string[]): SeatsReserved => ({
  type: 'SeatsReserved',
  data: { ...reserved(bookingId, ...seatIds).data, bestAvailable: { quantity, seatType: null, section: null } },
});
const holdSeats = (holdId: string, ...seatIds: string[]) => ({ type: 'HoldSeats', data: { eventId, holdId, seatIds, reason: 'press' } }) as const;
const holdPlaced = (holdId: string, ...seatIds: string[]) => ({ type: 'OrganiserHoldPlaced', data: { eventId, holdId, seatIds, reason: 'press' } }) as const;
const holdReleased = (holdId: string, ...seatIds: string[]) => ({ type: 'OrganiserHoldReleased', data: { eventId, holdId, seatIds } }) as const;

describe('seat inventory', () => {
  it('reserves free seats', () => given().when(reserve('b-1', 's-1', 's-2')).then(reserved('b-1', 's-1', 's-2')));
  it('refuses seats another booking holds, naming them', () =>
    given(reserved('b-1', 's-1', 's-2')).when(reserve('b-2', 's-2', 's-3')).thenFails('conflict', { conflictingSeatIds: ['s-2'] }));
  it('gives released seats to the next booking', () =>
    given(reserved('b-1', 's-1'), released('b-1', 's-1')).when(reserve('b-2', 's-1')).then(reserved('b-2', 's-1')));
  it('changes nothing for a retried reservation of the same booking', () =>
    given(reserved('b-1', 's-1', 's-2')).when(reserve('b-1', 's-2', 's-1')).then());
  it('refuses the same booking id for other seats (Idempotency-Key reused)', () =>
    given(reserved('b-1', 's-1')).when(reserve('b-1', 's-9')).thenFails('unprocessable'));
  it('releases what a booking holds, once', () => {
    const release = { type: 'ReleaseSeats', data: { eventId, bookingId: 'b-1', reason: 'booking-cancelled' } } as const;
    given(reserved('b-1', 's-1', 's-2')).when(release).then(released('b-1', 's-1', 's-2'));
    given(reserved('b-1', 's-1'), released('b-1', 's-1')).when(release).then();
  });
  it('holds a buyer to MAX_SEATS_PER_USER_PER_EVENT over all their bookings, and counts released seats out', () => {
    given(reservedAs('alice', 'b-1', 's-1', 's-2', 's-3')).when(reserveAs('alice', 'b-2', 's-4')).then(reservedAs('alice', 'b-2', 's-4'));
    given(reservedAs('alice', 'b-1', 's-1', 's-2', 's-3'))
      .when(reserveAs('alice', 'b-2', 's-4', 's-5'))
      .thenFails('conflict', { type: 'seat-limit-reached', limit: 4, held: 3 });
    given(reservedAs('alice', 'b-1', 's-1', 's-2', 's-3'), { ...released('b-1', 's-1', 's-2', 's-3') })
      .when(reserveAs('alice', 'b-2', 's-4', 's-5', 's-6', 's-7'))
      .then(reservedAs('alice', 'b-2', 's-4', 's-5', 's-6', 's-7'));
    given(reservedAs('alice', 'b-1', 's-1', 's-2', 's-3')).when(reserveAs('bob', 'b-2', 's-4', 's-5', 's-6', 's-7')).then(reservedAs('bob', 'b-2', 's-4', 's-5', 's-6', 's-7'));
  });
  it('counts reservations recorded before the limit (no userId) for nobody', () => {
    const legacy: SeatsReserved = { type: 'SeatsReserved', data: { eventId, bookingId: 'b-0', seatIds: ['s-1', 's-2', 's-3', 's-4'] } };
    given(legacy).when(reserveAs('alice', 'b-1', 's-5', 's-6', 's-7', 's-8')).then(reservedAs('alice', 'b-1', 's-5', 's-6', 's-7', 's-8'));
    given(legacy, released('b-0', 's-1', 's-2', 's-3', 's-4')).when(reserveAs('alice', 'b-1', 's-1')).then(reservedAs('alice', 'b-1', 's-1'));
  });
  it('closes sales once, and then reserves nothing', () => {
    const closeSales = { type: 'CloseSales', data: { eventId } } as const;
    given().when(closeSales).then({ type: 'SalesClosed', data: { eventId } });
    given({ type: 'SalesClosed', data: { eventId } }).when(closeSales).then();
    given({ type: 'SalesClosed', data: { eventId } }).when(reserve('b-1', 's-1')).thenFails('not-bookable');
  });

  describe('best available', () => {
    it('chooses the best adjacent seats, and records what was asked', () => {
      given().when(best('b-1', 2)).then(chosen('b-1', 2, 's-2', 's-3'));
      // 1-2 and 4-5 rank alike, and neither strands a seat: the earlier.
      given(reserved('b-0', 's-3')).when(best('b-1', 2)).then(chosen('b-1', 2, 's-1', 's-2'));
      given(reserved('b-0', 's-1')).when(best('b-1', 2)).then(chosen('b-1', 2, 's-2', 's-3'));
    });
    it('never chooses a seat a booking or a hold has', () =>
      given(reserved('b-0', 's-3'), holdPlaced('h-1', 's-4')).when(best('b-1', 1)).then(chosen('b-1', 1, 's-2')));
    it('refuses with not-enough-seats and how many are free only when no block that size exists', () =>
      given(reserved('b-0', 's-3')).when(best('b-1', 3)).thenFails('conflict', { type: 'not-enough-seats', available: 4 }));
    it('is held to the per-user limit, finds its own seats on a retry, and sells nothing once sales close', () => {
      given(reserved('b-0', 's-1')).when(best('b-1', 4, 'user-b-0')).thenFails('conflict', { type: 'seat-limit-reached' });
      given(chosen('b-1', 2, 's-2', 's-3')).when(best('b-1', 2)).then();
      given(chosen('b-1', 2, 's-2', 's-3')).when(best('b-1', 3)).thenFails('unprocessable');
      given({ type: 'SalesClosed', data: { eventId } }).when(best('b-1', 1)).thenFails('not-bookable');
    });
  });

  describe("the organiser's holds", () => {
    it('keep free seats back, and refuse seats in a booking or another hold', () => {
      given().when(holdSeats('h-1', 's-1', 's-2')).then(holdPlaced('h-1', 's-1', 's-2'));
      given(reserved('b-1', 's-2')).when(holdSeats('h-1', 's-1', 's-2')).thenFails('conflict', { conflictingSeatIds: ['s-2'] });
      given(holdPlaced('h-0', 's-1')).when(holdSeats('h-1', 's-1')).thenFails('conflict', { conflictingSeatIds: ['s-1'] });
      given(holdPlaced('h-1', 's-1')).when(holdSeats('h-1', 's-1')).then();
    });
    it('make their seats unbookable until released', () => {
      given(holdPlaced('h-1', 's-1')).when(reserve('b-1', 's-1', 's-2')).thenFails('conflict', { conflictingSeatIds: ['s-1'] });
      given(holdPlaced('h-1', 's-1')).when({ type: 'ReleaseHold', data: { eventId, holdId: 'h-1' } }).then(holdReleased('h-1', 's-1'));
      given(holdPlaced('h-1', 's-1'), holdReleased('h-1', 's-1')).when(reserve('b-1', 's-1')).then(reserved('b-1', 's-1'));
      given(holdPlaced('h-1', 's-1'), holdReleased('h-1', 's-1')).when({ type: 'ReleaseHold', data: { eventId, holdId: 'h-1' } }).thenFails('not-found');
    });
  });

  describe('a snapshot', () => {
    const stateOf = (...history: SeatInventoryEvent[]) => history.reduce(seatInventoryDecider.evolve, seatInventoryDecider.initialState());
    const roundTrip = (...history: SeatInventoryEvent[]) =>
      seatInventorySnapshot.fromSnapshot(JSON.parse(JSON.stringify(seatInventorySnapshot.toSnapshot(stateOf(...history)))));
    const legacy: SeatsReserved = { type: 'SeatsReserved', data: { eventId, bookingId: 'b-0', seatIds: ['s-9'] } };
    const history = [legacy, reservedAs('alice', 'b-1', 's-1', 's-2'), reservedAs('alice', 'b-2', 's-3'), reserved('b-3', 's-4'), released('b-3', 's-4'), holdPlaced('h-1', 's-6', 's-7')];

    it('gives back, through JSON, the state it was taken of: every map, and sales closed', () => {
      expect(roundTrip(...history)).toEqual(stateOf(...history));
      expect(roundTrip(...history, { type: 'SalesClosed', data: { eventId } })).toEqual(stateOf(...history, { type: 'SalesClosed', data: { eventId } }));
      expect(roundTrip()).toEqual(seatInventoryDecider.initialState());
    });

    it('keeps holders that are not simply the bookings\' own seats (a seat reserved twice, as evolve allows)', () => {
      const twice = [...history, reserved('b-7', 's-1', 's-8')];
      expect(stateOf(...twice).holders.get('s-1')).toBe('b-7');
      expect(seatInventorySnapshot.toSnapshot(stateOf(...twice))).toMatchObject({ holders: expect.any(Array) });
      expect(roundTrip(...twice)).toEqual(stateOf(...twice));
      expect(seatInventorySnapshot.toSnapshot(stateOf(...history))).toMatchObject({ holders: null });
    });

    it('gives back any state evolve can reach, also from events decide would not emit', () => {
      const seatIds = fc.uniqueArray(fc.constantFrom('s-1', 's-2', 's-3', 's-4'), { minLength: 1, maxLength: 3 });
      const bookingId = fc.constantFrom('b-1', 'b-2', 'b-3');
      const event: fc.Arbitrary<SeatInventoryEvent> = fc.oneof(
        fc.record({ type: fc.constant('SeatsReserved' as const), data: fc.record({ eventId: fc.constant(eventId), bookingId, seatIds, userId: fc.constantFrom('alice', 'bob') }, { requiredKeys: ['eventId', 'bookingId', 'seatIds'] }) }),
        fc.record({ type: fc.constant('SeatsReleased' as const), data: fc.record({ eventId: fc.constant(eventId), bookingId, seatIds, reason: fc.constant('booking-cancelled' as const) }) }),
        fc.constant({ type: 'SalesClosed' as const, data: { eventId } }),
        fc.record({ type: fc.constant('OrganiserHoldPlaced' as const), data: fc.record({ eventId: fc.constant(eventId), holdId: fc.constantFrom('h-1', 'h-2'), seatIds, reason: fc.constant('press') }) }),
        fc.record({ type: fc.constant('OrganiserHoldReleased' as const), data: fc.record({ eventId: fc.constant(eventId), holdId: fc.constantFrom('h-1', 'h-2'), seatIds }) }),
      );
      fc.assert(fc.property(fc.array(event, { maxLength: 12 }), (events) => expect(roundTrip(...events)).toEqual(stateOf(...events))), { numRuns: 500 });
    });

    it('is not taken of a state it could not give back exactly', () => {
      const state = stateOf(...history);
      state.owners.set('b-9', 'mallory');
      expect(() => seatInventorySnapshot.toSnapshot(state)).toThrow(/b-9/);
    });

    it('decides and evolves as the state it was taken of', () => {
      const outcome = (command: SeatInventoryCommand, state: ReturnType<typeof stateOf>) => {
        try {
          return seatInventoryDecider.decide(command, state);
        } catch (error) {
          return { kind: (error as DomainError).kind, extra: (error as DomainError).extra };
        }
      };
      const commands: SeatInventoryCommand[] = [
        reserveAs('alice', 'b-4', 's-5'),
        reserveAs('alice', 'b-4', 's-5', 's-6'), // over alice's limit of 4
        reserve('b-5', 's-1', 's-4'), // s-1 held, s-4 released
        reserve('b-1', 's-2', 's-1'), // a retry
        { type: 'ReleaseSeats', data: { eventId, bookingId: 'b-0', reason: 'booking-cancelled' } },
      ];
      for (const command of commands) expect(outcome(command, roundTrip(...history))).toEqual(outcome(command, stateOf(...history)));
      expect(seatInventoryDecider.evolve(roundTrip(...history), released('b-1', 's-1', 's-2'))).toEqual(stateOf(...history, released('b-1', 's-1', 's-2')));
    });

    it('is a value of its own: later events do not change a snapshot already taken', () => {
      const state = stateOf(...history);
      const snapshot = seatInventorySnapshot.toSnapshot(state);
      const text = JSON.stringify(snapshot);
      seatInventoryDecider.evolve(state, released('b-1', 's-1', 's-2'));
      seatInventoryDecider.evolve(state, reserved('b-6', 's-1'));
      expect(JSON.stringify(snapshot)).toBe(text);
    });
  });

  describe('a batch, decided at once', () => {
    const stateOf = (...history: SeatInventoryEvent[]) => history.reduce(seatInventoryDecider.evolve, seatInventoryDecider.initialState());

    it('decides each reservation as if the earlier ones of the batch were appended', () => {
      const outcomes = decideBatch([reserve('b-1', 's-1', 's-2'), reserve('b-2', 's-2'), reserve('b-3', 's-3'), reserve('b-1', 's-1', 's-2')], stateOf());
      expect(outcomes[0]).toEqual({ events: [reserved('b-1', 's-1', 's-2')] });
      expect(outcomes[1]).toEqual({ error: expect.objectContaining({ kind: 'conflict', extra: { conflictingSeatIds: ['s-2'] } }) });
      expect(outcomes[2]).toEqual({ events: [reserved('b-3', 's-3')] });
      expect(outcomes[3]).toEqual({ events: [] }); // the same request twice in one batch
    });

    it('frees seats released earlier in the batch, and leaves the state untouched', () => {
      const state = stateOf(reserved('b-1', 's-1'));
      const outcomes = decideBatch(
        [{ type: 'ReleaseSeats', data: { eventId, bookingId: 'b-1', reason: 'booking-cancelled' } }, reserve('b-2', 's-1')],
        state,
      );
      expect(outcomes).toEqual([{ events: [released('b-1', 's-1')] }, { events: [reserved('b-2', 's-1')] }]);
      expect(state.holders.get('s-1')).toBe('b-1');
    });

    it('decides any batch exactly as one command at a time, appended in turn', () => {
      const command = fc.oneof(
        fc.record({
          type: fc.constant('ReserveSeats' as const),
          data: fc.record({
            eventId: fc.constant(eventId),
            bookingId: fc.constantFrom('b-1', 'b-2', 'b-3', 'b-4'),
            seatIds: fc.uniqueArray(fc.constantFrom('s-1', 's-2', 's-3', 's-4', 's-5'), { minLength: 1, maxLength: 3 }),
            userId: fc.constantFrom('alice', 'bob'),
            maxSeatsPerUser: fc.constant(3),
          }),
        }),
        fc.record({ type: fc.constant('ReleaseSeats' as const), data: fc.record({ eventId: fc.constant(eventId), bookingId: fc.constantFrom('b-1', 'b-2', 'b-3', 'b-4'), reason: fc.constant('booking-cancelled' as const) }) }),
        fc.record({ type: fc.constant('CloseSales' as const), data: fc.record({ eventId: fc.constant(eventId) }) }),
        fc.tuple(fc.constantFrom('b-1', 'b-2', 'b-3', 'b-4'), fc.integer({ min: 1, max: 3 }), fc.constantFrom('alice', 'bob')).map(([bookingId, quantity, userId]) => {
          const command = best(bookingId, quantity, userId);
          return { ...command, data: { ...command.data, maxSeatsPerUser: 3 } };
        }),
        fc.tuple(fc.constantFrom('h-1', 'h-2'), fc.uniqueArray(fc.constantFrom('s-1', 's-2', 's-3', 's-4', 's-5'), { minLength: 1, maxLength: 2 })).map(([holdId, seatIds]) => holdSeats(holdId, ...seatIds)),
        fc.constantFrom('h-1', 'h-2').map((holdId) => ({ type: 'ReleaseHold' as const, data: { eventId, holdId } })),
      );
      fc.assert(
        fc.property(fc.array(command, { maxLength: 6 }), fc.array(command, { maxLength: 12 }), (before: SeatInventoryCommand[], batch: SeatInventoryCommand[]) => {
          const decided = (commands: SeatInventoryCommand[]): BatchOutcome<SeatInventoryEvent>[] => {
            const state = seatInventoryDecider.initialState();
            return commands.map((c) => {
              try {
                const events = seatInventoryDecider.decide(c, state);
                for (const event of events) seatInventoryDecider.evolve(state, event);
                return { events };
              } catch (error) {
                return { error };
              }
            });
          };
          const history = decided(before).flatMap((outcome) => ('events' in outcome ? outcome.events : []));
          const state = stateOf(...history);
          const snapshotOf = () => JSON.stringify([[...state.holders], [...state.bookings], [...state.owners], [...state.seatsOfUser], [...state.holds], [...state.held], state.closed]);
          const snapshot = snapshotOf();
          const outcomes = decideBatch(batch, state);
          expect(outcomes).toEqual(decided([...before, ...batch]).slice(before.length));
          expect(snapshotOf()).toBe(snapshot);
          // Appended: the state evolved with the batch decides best available as one that never saw a draft.
          const appended = outcomes.flatMap((outcome) => ('events' in outcome ? outcome.events : []));
          const evolved = appended.reduce(seatInventoryDecider.evolve, state);
          const fresh = stateOf(...history, ...appended);
          const next = (inventory: typeof state) => decideBatch([best('b-9', 1, 'carol')], inventory);
          expect(next(evolved)).toEqual(next(fresh));
          // Not appended: forgotten, the draft leaves no trace.
          const untouched = stateOf(...history);
          decideBatch(batch, untouched);
          forgetDraft(untouched);
          expect(next(untouched)).toEqual(next(stateOf(...history)));
          // Seats in a booking or a hold are never in another booking or hold.
          for (const seatId of state.held.keys()) expect(state.holders.has(seatId)).toBe(false);
          // What each user holds is what their bookings hold, never over the limit.
          const counted = new Map<string, number>();
          for (const [bookingId, seatIds] of state.bookings) counted.set(state.owners.get(bookingId)!, (counted.get(state.owners.get(bookingId)!) ?? 0) + seatIds.length);
          expect(new Map([...state.seatsOfUser].sort())).toEqual(new Map([...counted].sort()));
          for (const held of state.seatsOfUser.values()) expect(held).toBeLessThanOrEqual(3);
        }),
        { numRuns: 500 },
      );
    });

    it('refuses reservations after sales close in the same batch', () => {
      const [, outcome] = decideBatch([{ type: 'CloseSales', data: { eventId } }, reserve('b-1', 's-1')], stateOf());
      expect((outcome as { error: DomainError }).error.kind).toBe('not-bookable');
    });
  });
});
