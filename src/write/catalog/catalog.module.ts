import { Module } from '@nestjs/common';
import { SeatInventoryModule } from '../seat-inventory/seat-inventory.module.js';
import { CatalogController } from './catalog.controller.js';
import { CatalogCommandHandler } from './catalog.handler.js';

@Module({ imports: [SeatInventoryModule], controllers: [CatalogController], providers: [CatalogCommandHandler] })
export class CatalogModule {}
