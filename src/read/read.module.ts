import { Module } from '@nestjs/common';
import { BookingQueryController } from './booking/booking.controller.js';
import { BookingQueries } from './booking/booking.queries.js';
import { CatalogQueryController } from './catalog/catalog.controller.js';
import { CatalogQueries } from './catalog/catalog.queries.js';

/** The query API: reads the projected read models (and, for audit trails, the event store). */
@Module({ controllers: [CatalogQueryController, BookingQueryController], providers: [CatalogQueries, BookingQueries] })
export class ReadModule {}
