import { CheckpointRow, ParkedEventRow } from '../projections/projection.entity.js';
import { BookingItemRow, BookingRow, ProcessedEventRow } from './booking/booking.entity.js';
import { EventRow, EventSeatPriceRow, SeatAvailabilityRow, SeatRow, VenueRow } from './catalog/catalog.entity.js';
import { PaymentRow } from './payment/payment.entity.js';

/** Every read-model table's entity, for TypeORM's `entities`. The tables come from migrations, never from synchronize. */
export const readModelEntities = [
  VenueRow,
  SeatRow,
  EventRow,
  EventSeatPriceRow,
  SeatAvailabilityRow,
  BookingRow,
  BookingItemRow,
  ProcessedEventRow,
  PaymentRow,
  CheckpointRow,
  ParkedEventRow,
];
