import { PostgresEventStore } from '../../src/write/event-store/postgres.event-store.js';
import type { Recorded } from '../../src/write/event-store/event-store.port.js';

/** Every event of a test database's log, in global order, straight from the store (no read model). */
export const wholeLog = async (databaseUrl: string): Promise<Recorded[]> => {
  const store = new PostgresEventStore({ connectionString: databaseUrl, max: 2 });
  try {
    const events: Recorded[] = [];
    for (let page = await store.readAll({ limit: 5_000 }); page.length > 0; page = await store.readAll({ after: page.at(-1)!.position, limit: 5_000 })) {
      events.push(...page);
    }
    return events;
  } finally {
    await store.close();
  }
};

/**
 * The invariant, from the events alone: for each seat, the bookings that hold it and are still
 * active (placed, not cancelled). Returns the seats held by more than one.
 */
export const doubleBookedSeats = (log: Recorded[]): Map<string, string[]> => {
  const seatsOf = new Map<string, string[]>();
  const cancelled = new Set<string>();
  for (const event of log) {
    const data = event.data as { bookingId: string; items?: { seatId: string }[] };
    if (event.type === 'BookingPlaced') seatsOf.set(data.bookingId, data.items!.map((item) => item.seatId));
    if (event.type === 'BookingCancelled') cancelled.add(data.bookingId);
  }
  const holders = new Map<string, string[]>();
  for (const [bookingId, seatIds] of seatsOf) {
    if (cancelled.has(bookingId)) continue;
    for (const seatId of seatIds) holders.set(seatId, [...(holders.get(seatId) ?? []), bookingId]);
  }
  return new Map([...holders].filter(([, bookings]) => bookings.length > 1));
};
