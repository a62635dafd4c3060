import { Module } from '@nestjs/common';
import { SeatInventoryModule } from '../seat-inventory/seat-inventory.module.js';
import { BookingController } from './booking.controller.js';
import { EndBookingHandler, PlaceBookingHandler, ReleaseOrphanedSeatsHandler } from './booking.handler.js';
import { HoldExpiryWorker } from './hold-expiry.worker.js';

@Module({
  imports: [SeatInventoryModule],
  controllers: [BookingController],
  providers: [PlaceBookingHandler, EndBookingHandler, ReleaseOrphanedSeatsHandler, HoldExpiryWorker],
})
export class BookingModule {}
