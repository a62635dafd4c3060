import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainError } from '../../write/domain-error.js';
import { layoutOf } from '../../write/catalog/venue-layout.js';
import { fromDecimalColumn } from '../../write/money.js';
import type { SeatStatus, SeatType } from './catalog.entity.js';
import type { Event } from './catalog.responses.js';

/** TIMESTAMP columns hold UTC: read them as such, whatever the process's time zone. */
const utc = (column: string, as = column.split('.').pop()) => `${column} AT TIME ZONE 'UTC' AS ${as}`;

/** A seat as the map gives it; `status` last (the cached map's text relies on it). */
type SeatOfMap = { seatId: string; section: string; row: string; number: number; type: SeatType; rank: number; price: string | null; status: SeatStatus };

const EVENT_COLUMNS = `e.id, e.venue_id AS "venueId", e.name, e.description, ${utc('e.start_time', '"startTime"')}, ${utc('e.end_time', '"endTime"')},
  e.status, e.currency, ${utc('e.created_at', '"createdAt"')}, ${utc('e.updated_at', '"updatedAt"')},
  coalesce((SELECT json_agg(json_build_object('seatType', p.seat_type, 'price', p.price::text) ORDER BY p.seat_type)
              FROM catalog.event_seat_prices p WHERE p.event_id = e.id), '[]') AS prices`;

/** The column holds two decimals whatever the currency: the API shows the currency's own ("1500" yen, "45.50" dollars). */
const inItsCurrency = (event: Event): Event => ({
  ...event,
  prices: event.prices.map(({ seatType, price }) => ({ seatType, price: fromDecimalColumn(price, event.currency) })),
});

const SEAT_MAP_CACHE_SIZE = 20;

/**
 * A cached seat map: each seat's JSON up to its status (`{"seatId":…,"price":"120.00","status":`),
 * in map order, and the statuses apart, so that a change of statuses only joins the text again.
 */
type CachedSeatMap = {
  head: string;
  seats: string[];
  indexOf: Map<string, number>;
  statuses: SeatStatus[];
  counts: Record<SeatStatus | 'total', number>;
  position: string;
} & SeatMapBody;

/**
 * The answer as bytes with its ETag, made once per version of the map rather than per request: for
 * a 10,000-seat map, encoding 1.2 MB of text and hashing it for an ETag (what Express does for each
 * answer it is given as a string) cost more than everything else a cached request does.
 */
export type SeatMapBody = { body: Buffer; etag: string };

/** The bytes of the text JSON.stringify gives for seatMap()'s answer, from the parts. */
const withText = (map: Omit<CachedSeatMap, keyof SeatMapBody>): CachedSeatMap => {
  const seats = map.seats.map((seat, i) => `${seat}"${map.statuses[i]}"}`).join(',');
  const body = Buffer.from(`${map.head}${seats}],"counts":${JSON.stringify(map.counts)},"position":${JSON.stringify(map.position)}}`);
  return { ...map, body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
};

/** The catalog's queries (data-model.md §5.1), on the read models the catalog projector keeps. */
@Injectable()
export class CatalogQueries {
  private readonly seatMaps = new Map<string, { generation: string; last: string; map: Promise<CachedSeatMap> }>();

  constructor(private readonly db: DataSource) {}

  async listEvents(status: string | undefined, limit: number, offset: number) {
    const events: Event[] = await this.db.query(
      `SELECT ${EVENT_COLUMNS} FROM catalog.events e
        WHERE $1::catalog.event_status IS NULL OR e.status = $1
        ORDER BY e.start_time, e.id LIMIT $2 OFFSET $3`,
      [status ?? null, limit, offset],
    );
    return events.map(inItsCurrency);
  }

  async event(eventId: string) {
    const [event]: Event[] = await this.db.query(`SELECT ${EVENT_COLUMNS} FROM catalog.events e WHERE e.id = $1`, [eventId]);
    if (!event) throw new DomainError('not-found', 'No such event');
    return inItsCurrency(event);
  }

  /**
   * Every seat of the event with its price, rank and status: one index range scan of
   * seat_availability (idx_seat_availability_map), joined to the event's three prices and to the
   * venue's seats for their ranks. A seat without a rank of its own gets the layout's, from the
   * same function the write side chooses best available by (venue-layout.ts), over the seats in
   * the order they were added.
   * `position`: the last event reflected in these seats (the same statement reads both, so they
   * agree); the live seat map sends what changes after it.
   */
  async seatMap(eventId: string) {
    const [event]: { venue_id: string; currency: string }[] = await this.db.query(`SELECT venue_id, currency FROM catalog.events WHERE id = $1`, [eventId]);
    if (!event) throw new DomainError('not-found', 'No such event');
    const { currency } = event;
    const rows: (Omit<SeatOfMap, 'rank'> & { rank: number | null; layoutOrder: number; position: string })[] = await this.db.query(
      `SELECT s.seat_id AS "seatId", s.section, s.row, s.number, s.type, v.rank, v.layout_order AS "layoutOrder",
              p.price::text AS price, s.status, s.position
         FROM catalog.seat_availability s
         LEFT JOIN catalog.seats v ON v.id = s.seat_id
         LEFT JOIN catalog.event_seat_prices p ON p.event_id = s.event_id AND p.seat_type = s.type
        WHERE s.event_id = $1
        ORDER BY s.section, s.row, s.number`,
      [eventId],
    );
    const added = [...rows].sort((a, b) => a.layoutOrder - b.layoutOrder);
    const ranks = new Map<string, number>();
    for (const row of layoutOf(added.map(({ seatId, section, row, number, type, rank }) => ({ seatId, section, row, number, type, rank: rank ?? undefined }))).rows) {
      for (const seat of row.seats) ranks.set(seat.seatId, seat.rank);
    }
    const counts = { AVAILABLE: 0, RESERVED: 0, SOLD: 0, HELD: 0, total: rows.length };
    let position = '';
    const seats: SeatOfMap[] = rows.map(({ position: changedAt, seatId, section, row, number, type, price, status }) => {
      counts[status]++;
      if (changedAt > position) position = changedAt;
      return { seatId, section, row, number, type, rank: ranks.get(seatId)!, price: price === null ? null : fromDecimalColumn(price, currency), status };
    });
    return { eventId, venueId: event.venue_id, currency, seats, counts, position };
  }

  /**
   * The seat map as JSON, kept per event and brought up to date rather than built again: in an
   * on-sale, hundreds of buyers re-read the same 20,000-seat map between two projector batches, and
   * reading and serialising it all after every batch would hold the event loop each time.
   *
   * The key, read before the seats (so a cached map is never older than its key): the event row's
   * updated_at (status), its prices, the seat table's identity (a replay swaps in a rebuilt table) and
   * the position of the event's last changed seat. A new updated_at or table: a full build. Only a
   * new position: the map at P plus the rows changed after P. Why that is exact: each seat row holds
   * the position of the event that last changed it, and the catalog projector commits in log order,
   * so every change committed after the map was read has a position above P, and the rows above P
   * are exactly the seats changed since, with their status now (the live feed, seat-map.feed.ts,
   * relies on the same). Buyers asking at once share one build or update.
   */
  async seatMapBody(eventId: string): Promise<SeatMapBody> {
    const [version]: { generation: string; last: string }[] = await this.db.query(
      `SELECT e.updated_at::text || '|' || 'catalog.seat_availability'::regclass::oid || '|' ||
              coalesce((SELECT string_agg(p.seat_type || '=' || p.price, ',' ORDER BY p.seat_type) FROM catalog.event_seat_prices p WHERE p.event_id = e.id), '') AS generation,
              coalesce((SELECT max(s.position) FROM catalog.seat_availability s WHERE s.event_id = e.id), '') AS last
         FROM catalog.events e WHERE e.id = $1`,
      [eventId],
    );
    if (!version) throw new DomainError('not-found', 'No such event');
    const { generation, last } = version;
    const cached = this.seatMaps.get(eventId);
    if (cached?.generation === generation && cached.last === last) return cached.map;
    const map = cached?.generation === generation ? cached.map.then((older) => this.seatMapAfter(eventId, older)) : this.fullSeatMap(eventId);
    this.seatMaps.delete(eventId);
    this.seatMaps.set(eventId, { generation, last, map });
    // A few hot events at a time; the oldest entry goes first.
    if (this.seatMaps.size > SEAT_MAP_CACHE_SIZE) this.seatMaps.delete(this.seatMaps.keys().next().value!);
    map.catch(() => this.seatMaps.get(eventId)?.map === map && this.seatMaps.delete(eventId));
    return map;
  }

  /** The seat map read and serialised whole, each seat's JSON kept up to its status for the updates. */
  private async fullSeatMap(eventId: string): Promise<CachedSeatMap> {
    const { venueId, currency, seats, counts, position } = await this.seatMap(eventId);
    return withText({
      head: `${JSON.stringify({ eventId, venueId, currency }).slice(0, -1)},"seats":[`,
      // status is the seat's last key: its JSON less `"SOLD"}` (say) at the end.
      seats: seats.map((seat) => JSON.stringify(seat).slice(0, -(seat.status.length + 3))),
      indexOf: new Map(seats.map((seat, i) => [seat.seatId, i])),
      statuses: seats.map((seat) => seat.status),
      counts,
      position,
    });
  }

  /**
   * `map` with the seats changed after its position, as a new map: requests may still be reading
   * the older one, which stays whole (also when a seat it lacks sends this to a full build).
   */
  private async seatMapAfter(eventId: string, map: CachedSeatMap): Promise<CachedSeatMap> {
    const changes = await this.seatChanges(eventId, map.position);
    if (changes.length === 0) return map;
    const statuses = [...map.statuses];
    const counts = { ...map.counts };
    for (const { seatId, status } of changes) {
      const i = map.indexOf.get(seatId);
      // A seat added to the venue since (SeatsAdded): where it goes in the map is a full build's job.
      if (i === undefined) return this.fullSeatMap(eventId);
      counts[statuses[i]]--;
      counts[status]++;
      statuses[i] = status;
    }
    return withText({ ...map, statuses, counts, position: changes[changes.length - 1].position });
  }

  /** The event's seats changed after `after`, oldest change first (idx_seat_availability_changes). */
  seatChanges(eventId: string, after: string): Promise<{ seatId: string; status: SeatStatus; position: string }[]> {
    return this.db.query(
      `SELECT seat_id AS "seatId", status, position FROM catalog.seat_availability
        WHERE event_id = $1 AND position > $2 ORDER BY position`,
      [eventId, after],
    );
  }
}
