import { Module } from '@nestjs/common';
import { SeatInventoryModule } from '../seat-inventory/seat-inventory.module.js';
import { BookingController } from './booking.controller.js';
import {
  CancelBookingHandler,
  CancelForEventHandler,
  ExpireBookingHandler,
  PlaceBookingHandler,
  ReleaseOrphanedSeatsHandler,
} from './booking.handler.js';
import { HoldExpiryWorker } from './hold-expiry.worker.js';

@Module({
  imports: [SeatInventoryModule],
  controllers: [BookingController],
  providers: [PlaceBookingHandler, CancelBookingHandler, ExpireBookingHandler, CancelForEventHandler, ReleaseOrphanedSeatsHandler, HoldExpiryWorker],
})
export class BookingModule {}
