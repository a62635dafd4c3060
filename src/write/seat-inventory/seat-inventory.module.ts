import { Module } from '@nestjs/common';
import { SnapshotStore } from '../event-store/snapshot-store.js';
import { SeatInventoryService } from './seat-inventory.service.js';

/** One SeatInventoryService per process: it is where concurrent reservations of an event meet. */
@Module({ providers: [SeatInventoryService, SnapshotStore], exports: [SeatInventoryService] })
export class SeatInventoryModule {}
