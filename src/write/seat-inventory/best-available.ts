import type { SeatType } from '../catalog/venue.events.js';
import type { LayoutRow, VenueLayout } from '../catalog/venue-layout.js';

/** What a buyer asks best available for: `quantity` adjacent seats of one of `seatTypes`, in `section` if named. */
export type BestAvailableRequest = { quantity: number; seatTypes: readonly SeatType[]; section?: string };

/** The best block of one row: seats [start, start + quantity) of the row, their total rank, and whether taking them strands a seat. */
type Block = { row: number; start: number; total: number; leavesLoneSeat: boolean };

/** The key of the free-seat count of one section and type. */
const freeKey = (section: string, type: SeatType) => `${section}\u0000${type}`;

/** Better first: the lower total rank; among equals, one that strands no seat; then the earlier row and seat. */
const better = (a: Block, b: Block | null): boolean =>
  b === null ||
  a.total < b.total ||
  (a.total === b.total && (a.leavesLoneSeat !== b.leavesLoneSeat ? !a.leavesLoneSeat : a.row < b.row || (a.row === b.row && a.start < b.start)));

/**
 * The free seats of an event's venue, indexed per row for best available. Each row keeps which of
 * its seats are available and, once asked, its best block for each kind of request; a change of a
 * seat forgets only its own row's answers. Choosing therefore reads one remembered answer per row
 * (a few hundred in a 20,000-seat venue) and looks again at the seats of the rows changed since,
 * never at every seat.
 *
 * It mirrors availability as the inventory has it: built from `isAvailable`, then told of every
 * seat that changes with whether it is available now, so telling it twice changes nothing.
 */
export class SeatAllocator {
  private readonly available: Uint8Array[];
  private readonly answers: Map<string, Block | null>[];
  /** Free seats per section and type, for a refusal's `available`. */
  private readonly free = new Map<string, number>();

  constructor(
    readonly layout: VenueLayout,
    isAvailable: (seatId: string) => boolean,
  ) {
    this.available = layout.rows.map((row) => Uint8Array.from(row.seats, (seat) => (isAvailable(seat.seatId) ? 1 : 0)));
    this.answers = layout.rows.map(() => new Map());
    layout.rows.forEach((row, r) => row.seats.forEach((seat, i) => this.available[r][i] && this.count(row.section, seat.type, 1)));
  }

  /** The seat is available now, or not. A seat the layout does not have is ignored. */
  update(seatId: string, available: boolean): void {
    const place = this.layout.places.get(seatId);
    if (!place) return;
    const now = available ? 1 : 0;
    const flags = this.available[place.row];
    if (flags[place.index] === now) return;
    flags[place.index] = now;
    const { section, seats } = this.layout.rows[place.row];
    this.count(section, seats[place.index].type, now ? 1 : -1);
    this.answers[place.row].clear();
  }

  /** The best block for the request now, as seat ids; null when no block of that size exists. */
  choose(request: BestAvailableRequest): string[] | null {
    const key = `${request.quantity}|${request.seatTypes.join()}`;
    let best: Block | null = null;
    this.layout.rows.forEach((row, r) => {
      if (request.section !== undefined && row.section !== request.section) return;
      let block = this.answers[r].get(key);
      if (block === undefined) this.answers[r].set(key, (block = this.bestInRow(r, request)));
      if (block && better(block, best)) best = block;
    });
    if (best === null) return null;
    const { row, start } = best as Block;
    return this.layout.rows[row].seats.slice(start, start + request.quantity).map((seat) => seat.seatId);
  }

  /** How many seats of those types (in that section) are free. */
  freeSeats({ seatTypes, section }: Omit<BestAvailableRequest, 'quantity'>): number {
    const sections = section === undefined ? [...this.layout.sections] : [section];
    return sections.reduce((sum, s) => sum + seatTypes.reduce((n, type) => n + (this.free.get(freeKey(s, type)) ?? 0), 0), 0);
  }

  private count(section: string, type: SeatType, by: number): void {
    const key = freeKey(section, type);
    this.free.set(key, (this.free.get(key) ?? 0) + by);
  }

  /**
   * One pass over the row: `run` counts the free, adjacent seats of one type ending at seat j, and
   * `total` the ranks of the last `quantity` of them. A block is the seats [j - quantity + 1, j] once
   * the run is that long.
   */
  private bestInRow(r: number, { quantity, seatTypes }: BestAvailableRequest): Block | null {
    const { seats } = this.layout.rows[r];
    const free = this.available[r];
    const adjacent = (i: number) => seats[i].number === seats[i - 1].number + 1; // seat i and the one before it, i ≥ 1
    /** Seat i is free and would stand alone once its neighbour on the side `away` is no longer free. */
    const strands = (i: number, away: -1 | 1) => {
      if (i < 0 || i >= seats.length || !free[i]) return false;
      const other = i - away; // its neighbour on the other side
      if (other < 0 || other >= seats.length) return true;
      return !free[other] || !adjacent(Math.max(i, other));
    };
    let best: Block | null = null;
    let run = 0;
    let total = 0;
    for (let j = 0; j < seats.length; j++) {
      const fits = free[j] === 1 && seatTypes.includes(seats[j].type);
      if (!fits) {
        run = 0;
        total = 0;
        continue;
      }
      const continues = run > 0 && adjacent(j) && seats[j].type === seats[j - 1].type;
      if (!continues) {
        run = 0;
        total = 0;
      }
      run++;
      total += seats[j].rank;
      if (run > quantity) total -= seats[j - quantity].rank;
      if (run < quantity) continue;
      const start = j - quantity + 1;
      const leavesLoneSeat = (start > 0 && adjacent(start) && strands(start - 1, 1)) || (j + 1 < seats.length && adjacent(j + 1) && strands(j + 1, -1));
      const block = { row: r, start, total, leavesLoneSeat };
      if (better(block, best)) best = block;
    }
    return best;
  }
}

/** The seats of a row that stand alone: free, and no free seat next to them (for tests and the on-sale benchmark). */
export const loneSeats = (row: LayoutRow, free: (seatId: string) => boolean): string[] => {
  const { seats } = row;
  const adjacentFree = (i: number, j: number) => j >= 0 && j < seats.length && Math.abs(seats[j].number - seats[i].number) === 1 && free(seats[j].seatId);
  return seats.filter((seat, i) => free(seat.seatId) && !adjacentFree(i, i - 1) && !adjacentFree(i, i + 1)).map((seat) => seat.seatId);
};
