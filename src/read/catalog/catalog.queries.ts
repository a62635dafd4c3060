import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError } from '../../write/domain-error.js';

/** TIMESTAMP columns hold UTC: read them as such, whatever the process's time zone. */
const utc = (column: string, as = column.split('.').pop()) => `${column} AT TIME ZONE 'UTC' AS ${as}`;

export type SeatStatus = 'AVAILABLE' | 'RESERVED' | 'SOLD';
type SeatOfMap = { seatId: string; row: string; number: number; type: string; price: string | null; status: SeatStatus };

const EVENT_COLUMNS = `e.id, e.venue_id AS "venueId", e.name, e.description, ${utc('e.start_time', '"startTime"')}, ${utc('e.end_time', '"endTime"')},
  e.status, ${utc('e.created_at', '"createdAt"')}, ${utc('e.updated_at', '"updatedAt"')},
  coalesce((SELECT json_agg(json_build_object('seatType', p.seat_type, 'price', p.price::text) ORDER BY p.seat_type)
              FROM catalog.event_seat_prices p WHERE p.event_id = e.id), '[]') AS prices`;

const SEAT_MAP_CACHE_SIZE = 20;

/** The catalog's queries (data-model.md §5.1), on the read models the catalog projector keeps. */
@Injectable()
export class CatalogQueries {
  private readonly seatMaps = new Map<string, { key: string; json: Promise<string> }>();

  constructor(private readonly db: DataSource) {}

  listEvents(status: string | undefined, limit: number, offset: number) {
    return this.db.query(
      `SELECT ${EVENT_COLUMNS} FROM catalog.events e
        WHERE $1::catalog.event_status IS NULL OR e.status = $1
        ORDER BY e.start_time, e.id LIMIT $2 OFFSET $3`,
      [status ?? null, limit, offset],
    );
  }

  async event(eventId: string) {
    const [event] = await this.db.query(`SELECT ${EVENT_COLUMNS} FROM catalog.events e WHERE e.id = $1`, [eventId]);
    if (!event) throw new DomainError('not-found', 'No such event');
    return event;
  }

  /**
   * Every seat of the event with its price and status: one index range scan of
   * seat_availability (idx_seat_availability_map), joined to the event's three prices.
   * `position`: the last event reflected in these seats (the same statement reads both, so they
   * agree); the live seat map sends what changes after it.
   */
  async seatMap(eventId: string) {
    const [event] = await this.db.query(`SELECT venue_id FROM catalog.events WHERE id = $1`, [eventId]);
    if (!event) throw new DomainError('not-found', 'No such event');
    const rows: (SeatOfMap & { position: string })[] = await this.db.query(
      `SELECT s.seat_id AS "seatId", s.row, s.number, s.type, p.price::text AS price, s.status, s.position
         FROM catalog.seat_availability s
         LEFT JOIN catalog.event_seat_prices p ON p.event_id = s.event_id AND p.seat_type = s.type
        WHERE s.event_id = $1
        ORDER BY s.row, s.number`,
      [eventId],
    );
    const counts = { AVAILABLE: 0, RESERVED: 0, SOLD: 0, total: rows.length };
    let position = '';
    const seats = rows.map(({ position: changedAt, ...seat }) => {
      counts[seat.status]++;
      if (changedAt > position) position = changedAt;
      return seat;
    });
    return { eventId, venueId: event.venue_id, seats, counts, position };
  }

  /**
   * The seat map as JSON text, built again only when the event's read model has changed: in an
   * on-sale, hundreds of buyers re-read the same 10,000-seat map between two projector batches, and
   * reading and serialising it each time is what the process would spend its CPU on. The key is
   * the position of the event's last changed seat and the event row's updated_at (prices), read
   * before the seats, so a cached map is never older than its key; buyers asking at once while it
   * is rebuilt share one build.
   */
  async seatMapJson(eventId: string): Promise<string> {
    const [version] = await this.db.query(
      `SELECT e.updated_at::text || '|' || coalesce((SELECT max(s.position) FROM catalog.seat_availability s WHERE s.event_id = e.id), '') AS key
         FROM catalog.events e WHERE e.id = $1`,
      [eventId],
    );
    if (!version) throw new DomainError('not-found', 'No such event');
    const key: string = version.key;
    const cached = this.seatMaps.get(eventId);
    if (cached?.key === key) return cached.json;
    const json = this.seatMap(eventId).then((map) => JSON.stringify(map));
    this.seatMaps.delete(eventId);
    this.seatMaps.set(eventId, { key, json });
    // A few hot events at a time; the oldest entry goes first.
    if (this.seatMaps.size > SEAT_MAP_CACHE_SIZE) this.seatMaps.delete(this.seatMaps.keys().next().value!);
    json.catch(() => this.seatMaps.get(eventId)?.json === json && this.seatMaps.delete(eventId));
    return json;
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
