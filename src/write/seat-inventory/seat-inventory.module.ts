import { Module } from '@nestjs/common';
import { SeatInventoryService } from './seat-inventory.service.js';

/** One SeatInventoryService per process: it is where concurrent reservations of an event meet. */
@Module({ providers: [SeatInventoryService], exports: [SeatInventoryService] })
export class SeatInventoryModule {}
