import type { Seat, SeatType } from './venue.events.js';

/**
 * The rank a seat without one gets: its row's place in the order the venue's rows were first
 * created, then how far it sits from the middle of its row, in half seats. A row weighs more than any
 * distance within one (numbers are at most 100,000), so a block in an earlier row always ranks better.
 */
export const ROW_RANK_STEP = 1_000_000;
/** The longest section name, in characters: the read models' VARCHAR(50) (migration 1765300000000). */
export const MAX_SECTION_CHARACTERS = 50;
/** The highest rank an organiser may give a seat: a sum of 100 of them stays an exact integer. */
export const MAX_SEAT_RANK = 1_000_000_000;

export type LayoutSeat = { seatId: string; section: string; row: string; number: number; type: SeatType; rank: number };
/** The seats of one row of one section, by number. */
export type LayoutRow = { section: string; row: string; seats: LayoutSeat[] };
/**
 * A venue's seats as best available sees them: rows in the order they were first created, each
 * seat with the rank it has (its own, or the layout's). Built from the seats in the order they were
 * added; the same function gives the seat map its ranks, so both sides agree.
 */
export type VenueLayout = {
  rows: LayoutRow[];
  /** seat id → its row (an index into rows) and its place in that row. */
  places: Map<string, { row: number; index: number }>;
  sections: Set<string>;
};

const rowKey = (section: string, row: string) => `${section}\u0000${row}`;

export const layoutOf = (seats: Iterable<Seat>): VenueLayout => {
  const rows = new Map<string, LayoutRow & { explicit: (number | undefined)[] }>();
  for (const { seatId, section = '', row, number, type, rank } of seats) {
    const key = rowKey(section, row);
    let layoutRow = rows.get(key);
    if (!layoutRow) rows.set(key, (layoutRow = { section, row, seats: [], explicit: [] }));
    layoutRow.seats.push({ seatId, section, row, number, type, rank: 0 });
    layoutRow.explicit.push(rank);
  }
  const layout: VenueLayout = { rows: [], places: new Map(), sections: new Set() };
  for (const { section, row, seats, explicit } of rows.values()) {
    const ordinal = layout.rows.length;
    let lo = Infinity;
    let hi = -Infinity;
    for (const seat of seats) {
      lo = Math.min(lo, seat.number);
      hi = Math.max(hi, seat.number);
    }
    seats.forEach((seat, i) => (seat.rank = explicit[i] ?? ordinal * ROW_RANK_STEP + Math.abs(2 * seat.number - (lo + hi))));
    seats.sort((a, b) => a.number - b.number);
    seats.forEach((seat, index) => layout.places.set(seat.seatId, { row: ordinal, index }));
    layout.rows.push({ section, row, seats });
    layout.sections.add(section);
  }
  return layout;
};
