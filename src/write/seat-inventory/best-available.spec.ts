import fc from 'fast-check';
import { SEAT_TYPES, type Seat, type SeatType } from '../catalog/venue.events.js';
import { layoutOf, ROW_RANK_STEP, type VenueLayout } from '../catalog/venue-layout.js';
import { type BestAvailableRequest, loneSeats, SeatAllocator } from './best-available.js';

/** Seats in a few sections and rows, numbers mostly consecutive with some gaps, ranks their own (small, so that ties happen) or the layout's. */
const venueSeats = fc
  .array(
    fc.record({
      section: fc.constantFrom('', 'Block A'),
      row: fc.constantFrom('A', 'B', 'C'),
      firstNumber: fc.integer({ min: 1, max: 3 }),
      seats: fc.array(fc.record({ gap: fc.constantFrom(1, 1, 1, 1, 2), type: fc.constantFrom<SeatType>('REGULAR', 'REGULAR', 'VIP'), rank: fc.option(fc.integer({ min: 0, max: 4 })) }), { minLength: 1, maxLength: 12 }),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .map((rows) => {
    const seats: Seat[] = [];
    const taken = new Set<string>();
    for (const { section, row, firstNumber, seats: rowSeats } of rows) {
      let number = firstNumber - 1;
      for (const { gap, type, rank } of rowSeats) {
        number += gap;
        const key = `${section}|${row}|${number}`;
        if (taken.has(key)) continue;
        taken.add(key);
        seats.push({ seatId: `${section || '-'}:${row}${number}`, section, row, number, type, ...(rank === null ? {} : { rank }) });
      }
    }
    return seats;
  });

const requests = fc.record({
  quantity: fc.integer({ min: 1, max: 4 }),
  seatTypes: fc.subarray([...SEAT_TYPES], { minLength: 1 }),
  section: fc.option(fc.constantFrom('', 'Block A'), { nil: undefined }),
});

const lexicographicallyLess = (a: number[], b: number[]) => {
  const i = a.findIndex((k, j) => k !== b[j]);
  return i >= 0 && a[i] < b[i];
};

/**
 * The definition, by brute force: every run of `quantity` free seats of one allowed type, adjacent
 * in one row; the lowest total rank; among equals one after which no seat stands alone that did not
 * before; then the earlier row and seat.
 */
const bestByDefinition = (layout: VenueLayout, free: Set<string>, { quantity, seatTypes, section }: BestAvailableRequest): string[] | null => {
  let best: { key: number[]; seatIds: string[] } | null = null;
  layout.rows.forEach((row, r) => {
    if (section !== undefined && row.section !== section) return;
    const loneBefore = new Set(loneSeats(row, (id) => free.has(id)));
    for (let start = 0; start + quantity <= row.seats.length; start++) {
      const block = row.seats.slice(start, start + quantity);
      const ok = block.every((seat, k) => free.has(seat.seatId) && seat.type === block[0].type && seatTypes.includes(seat.type) && seat.number === block[0].number + k);
      if (!ok) continue;
      const ids = new Set(block.map((seat) => seat.seatId));
      const loneAfter = loneSeats(row, (id) => free.has(id) && !ids.has(id));
      const strands = loneAfter.some((id) => !loneBefore.has(id)) ? 1 : 0;
      const key = [block.reduce((sum, seat) => sum + seat.rank, 0), strands, r, start];
      if (!best || lexicographicallyLess(key, best.key)) best = { key, seatIds: block.map((seat) => seat.seatId) };
    }
  });
  return best === null ? null : (best as { seatIds: string[] }).seatIds;
};

const arbitraryFree = (seats: Seat[]) => fc.array(fc.boolean(), { minLength: seats.length, maxLength: seats.length }).map((flags) => new Set(seats.filter((_, i) => flags[i]).map((s) => s.seatId)));

describe('best available', () => {
  it('chooses what the definition chooses: adjacent free seats of one allowed type in one row, lowest total rank, then no lone seat', () =>
    fc.assert(
      fc.property(venueSeats.chain((seats) => fc.tuple(fc.constant(seats), arbitraryFree(seats), requests)), ([seats, free, request]) => {
        const layout = layoutOf(seats);
        const chosen = new SeatAllocator(layout, (id) => free.has(id)).choose(request);
        expect(chosen).toEqual(bestByDefinition(layout, free, request));
        if (chosen) {
          // Never a seat that is taken or held, and the block is one row, numbers in a row.
          const places = chosen.map((id) => layout.places.get(id)!);
          expect(chosen.every((id) => free.has(id))).toBe(true);
          expect(new Set(places.map((p) => p.row)).size).toBe(1);
          const numbers = places.map((p) => layout.rows[p.row].seats[p.index].number);
          expect(numbers).toEqual(numbers.map((_, k) => numbers[0] + k));
        }
      }),
      { numRuns: 2_000 },
    ));

  it('stays right as seats are taken and given back: each change forgets only its row', () =>
    fc.assert(
      fc.property(
        venueSeats.chain((seats) => fc.tuple(fc.constant(seats), arbitraryFree(seats), fc.array(fc.tuple(requests, fc.nat(), fc.boolean()), { maxLength: 30 }))),
        ([seats, free, steps]) => {
          const layout = layoutOf(seats);
          const allocator = new SeatAllocator(layout, (id) => free.has(id));
          for (const [request, pick, takeChosen] of steps) {
            const chosen = allocator.choose(request);
            expect(chosen).toEqual(bestByDefinition(layout, free, request));
            expect(allocator.freeSeats(request)).toBe(seats.filter((s) => free.has(s.seatId) && request.seatTypes.includes(s.type) && (request.section === undefined || (s.section ?? '') === request.section)).length);
            // Take the chosen block, or flip one seat (a booking cancelled, a hold placed).
            const changed = takeChosen && chosen ? chosen : [seats[pick % seats.length].seatId];
            for (const id of changed) {
              if (takeChosen && chosen) free.delete(id);
              else if (free.has(id)) free.delete(id);
              else free.add(id);
              allocator.update(id, free.has(id));
              allocator.update(id, free.has(id)); // told twice: no change
            }
          }
        },
      ),
      { numRuns: 500 },
    ));

  it('ranks a seat without one by its row, first created first, then by its closeness to the middle of the row', () => {
    const layout = layoutOf([
      { seatId: 'b1', row: 'B', number: 1, type: 'REGULAR' },
      { seatId: 'a4', row: 'A', number: 4, type: 'REGULAR' },
      { seatId: 'b2', row: 'B', number: 2, type: 'REGULAR' },
      { seatId: 'b3', row: 'B', number: 3, type: 'REGULAR' },
      { seatId: 'a5', row: 'A', number: 5, type: 'REGULAR', rank: 0 },
    ]);
    expect(layout.rows.map((r) => [r.row, r.seats.map((s) => [s.seatId, s.rank])])).toEqual([
      ['B', [['b1', 2], ['b2', 0], ['b3', 2]]],
      ['A', [['a4', ROW_RANK_STEP + 1], ['a5', 0]]],
    ]);
  });

  it('prefers, among blocks of equal rank, the one that strands no seat', () => {
    // Row A, seats 1-6, middle 3.5: ranks 5 3 1 1 3 5. Seats 5 and 6 are taken.
    const layout = layoutOf([1, 2, 3, 4, 5, 6].map((n) => ({ seatId: `s${n}`, row: 'A', number: n, type: 'REGULAR' as const })));
    const free = new Set(['s1', 's2', 's3', 's4']);
    const allocator = new SeatAllocator(layout, (id) => free.has(id));
    expect(allocator.choose({ quantity: 2, seatTypes: ['REGULAR'] })).toEqual(['s3', 's4']);
    // One seat: s3 and s4 both rank 1, but s3 would leave s4 alone between s3 and the taken s5.
    expect(allocator.choose({ quantity: 1, seatTypes: ['REGULAR'] })).toEqual(['s4']);
    free.delete('s4');
    allocator.update('s4', false);
    expect(allocator.choose({ quantity: 1, seatTypes: ['REGULAR'] })).toEqual(['s3']);
    expect(allocator.choose({ quantity: 3, seatTypes: ['REGULAR'] })).toEqual(['s1', 's2', 's3']);
    expect(allocator.choose({ quantity: 4, seatTypes: ['REGULAR'] })).toBeNull();
    expect(allocator.choose({ quantity: 1, seatTypes: ['VIP'] })).toBeNull();
    expect(allocator.freeSeats({ seatTypes: ['REGULAR'] })).toBe(3);
  });
});
