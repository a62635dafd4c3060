import { followed } from '../projections/log-runner.js';
import type { SeatsAdded } from './catalog/venue.events.js';
import { type Upcasters, upcast, UPCASTERS } from './domain-event.js';
import { type Recorded, toPosition } from './event-store/event-store.port.js';
import { asDecided } from './event-store/handle-command.js';

/** Seats as a first version stored them; later versions added a section, then a rank (the shape of a change to come). */
const seatsV1: Recorded = {
  type: 'SeatsAdded',
  data: { venueId: 'v-1', seats: [{ seatId: 's-1', row: 'A', number: 3, type: 'VIP' }] },
  schemaVersion: 1,
  streamName: 'venue-v-1',
  revision: 1n,
  position: toPosition(1n, 0n),
  metadata: { eventId: 'e-1', correlationId: 'c-1', causationId: null, userId: 'u-1', occurredAt: '2026-12-01T10:00:00.000Z', schemaVersion: 1, hash: 'h' },
};
type Seat = Record<string, unknown>;
const steps: Upcasters = {
  SeatsAdded: {
    1: (data) => ({ ...data, seats: (data.seats as Seat[]).map((seat) => ({ ...seat, section: '' })) }),
    2: (data) => ({ ...data, seats: (data.seats as Seat[]).map((seat) => ({ ...seat, rank: seat.number })) }),
  },
};
const current = { venueId: 'v-1', seats: [{ seatId: 's-1', row: 'A', number: 3, type: 'VIP', section: '', rank: 3 }] };

describe('upcasting: older stored shapes read as the current one', () => {
  it('reads a version-1 event through every step, and leaves the stored event as it was', () => {
    const before = structuredClone(seatsV1);
    expect(upcast(seatsV1, steps)).toEqual({ ...seatsV1, data: current, schemaVersion: 3 });
    expect(seatsV1).toEqual(before);
  });

  it('reads a version-2 event from its own version on', () => {
    const seatsV2 = { ...seatsV1, schemaVersion: 2, data: { venueId: 'v-1', seats: [{ seatId: 's-1', row: 'A', number: 3, type: 'VIP', section: 'Stalls' }] } };
    expect(upcast(seatsV2, steps).data).toEqual({ venueId: 'v-1', seats: [{ seatId: 's-1', row: 'A', number: 3, type: 'VIP', section: 'Stalls', rank: 3 }] });
  });

  it('gives an event of the current version, and a type with no steps, as stored', () => {
    const seatsV3 = { ...seatsV1, schemaVersion: 3, data: current };
    expect(upcast(seatsV3, steps)).toBe(seatsV3);
    const other = { ...seatsV1, type: 'VenueCreated' };
    expect(upcast(other, steps)).toBe(other);
  });

  it('reads refunds and price changes stored before events had currencies (#21) as USD, the only currency then', () => {
    const v1 = (type: string, data: Record<string, unknown>): Recorded => ({ ...seatsV1, type, data, schemaVersion: 1 });
    const refunded = { paymentId: 'p-1', bookingId: 'b-1', amountMinor: 9000, reason: 'booking-cancelled', refundId: 're_1' };
    expect(upcast(v1('PaymentRefunded', refunded))).toMatchObject({ schemaVersion: 2, data: { ...refunded, currency: 'USD' } });
    const changed = { eventId: 'e-1', prices: [{ seatType: 'VIP', priceMinor: 12000 }] };
    expect(upcast(v1('EventPricesChanged', changed))).toMatchObject({ schemaVersion: 2, data: { ...changed, currency: 'USD' } });
    // Version 2 names its own currency.
    const inYen = { ...v1('PaymentRefunded', { ...refunded, amountMinor: 3000, currency: 'JPY' }), schemaVersion: 2 };
    expect(upcast(inYen)).toBe(inYen);
  });

  it('is the way deciders, projectors and reactors read events', () => {
    UPCASTERS.SeatsAdded = steps.SeatsAdded;
    try {
      expect(asDecided<SeatsAdded>(seatsV1).data).toEqual(current); // handle-command.ts, stream-cache.ts, booking-state.ts
      expect(followed(new Set(['SeatsAdded']), [seatsV1]).map((event) => event.data)).toEqual([current]); // log-runner.ts, replay.ts
    } finally {
      delete UPCASTERS.SeatsAdded;
    }
  });
});
