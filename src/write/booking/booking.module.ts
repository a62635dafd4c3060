import { Module } from '@nestjs/common';
import { SeatInventoryModule } from '../seat-inventory/seat-inventory.module.js';
import { BookingController } from './booking.controller.js';
import { CancelBookingHandler, PlaceBookingHandler } from './booking.handler.js';

@Module({ imports: [SeatInventoryModule], controllers: [BookingController], providers: [PlaceBookingHandler, CancelBookingHandler] })
export class BookingModule {}
