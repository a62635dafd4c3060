import { Module } from '@nestjs/common';
import { SnapshotStore } from '../event-store/snapshot-store.js';
import { CheckInController } from './check-in.controller.js';
import { CheckInHandler } from './check-in.handler.js';
import { TicketKeys } from './ticket-keys.js';

/** Tickets and the door: the keys that sign tickets, and check-in. The query side issues tickets with the same keys. */
@Module({ controllers: [CheckInController], providers: [CheckInHandler, TicketKeys, SnapshotStore], exports: [TicketKeys] })
export class TicketsModule {}
