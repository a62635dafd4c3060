import { Module } from '@nestjs/common';
import { BookingQueryController } from './booking/booking.controller.js';
import { BookingQueries } from './booking/booking.queries.js';
import { CatalogQueryController, SeatMapStreamController } from './catalog/catalog.controller.js';
import { CatalogQueries } from './catalog/catalog.queries.js';
import { SeatMapFeed } from './catalog/seat-map.feed.js';
import { TicketQueryController } from './tickets/tickets.controller.js';
import { TicketQueries } from './tickets/tickets.queries.js';
import { TicketsModule } from '../write/tickets/tickets.module.js';
import { WebhookQueryController } from './webhooks/webhooks.controller.js';
import { WebhookQueries } from './webhooks/webhooks.queries.js';

/** The query API: reads the projected read models (and, for audit trails, the event store). */
@Module({
  imports: [TicketsModule],
  controllers: [CatalogQueryController, SeatMapStreamController, BookingQueryController, TicketQueryController, WebhookQueryController],
  providers: [CatalogQueries, SeatMapFeed, BookingQueries, TicketQueries, WebhookQueries],
})
export class ReadModule {}
