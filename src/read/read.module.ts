import { Module } from '@nestjs/common';
import { BookingQueryController } from './booking/booking.controller.js';
import { BookingQueries } from './booking/booking.queries.js';
import { CatalogQueryController, SeatMapStreamController } from './catalog/catalog.controller.js';
import { CatalogQueries } from './catalog/catalog.queries.js';
import { SeatMapFeed } from './catalog/seat-map.feed.js';

/** The query API: reads the projected read models (and, for audit trails, the event store). */
@Module({ controllers: [CatalogQueryController, SeatMapStreamController, BookingQueryController], providers: [CatalogQueries, SeatMapFeed, BookingQueries] })
export class ReadModule {}
