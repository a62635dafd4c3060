import { Body, Controller, HttpCode, Param, Post, Put, Req, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { Authenticated, type AuthenticatedUser, CurrentUser } from '../../auth.js';
import { CommandAdmission } from '../command-admission.js';
import { requestContext } from '../message-context.js';
import { parseMoney } from '../money.js';
import { AddSeatsBody, CreateEventBody, CreateVenueBody, EventIdParam, PricesBody, VenueIdParam } from './catalog.dto.js';
import { type CatalogCommand, CatalogCommandMessage } from './catalog.handler.js';
import type { Price } from './show.events.js';

const toPrices = (body: PricesBody): Price[] => body.prices.map(({ seatType, price }) => ({ seatType, priceMinor: parseMoney(price) }));

/** The catalog's command API: only for tokens with the permission catalog:write. */
@ApiTags('catalog')
@Authenticated('catalog:write')
@UseInterceptors(CommandAdmission)
@Controller()
export class CatalogController {
  constructor(private readonly commands: CommandBus) {}

  private run(command: CatalogCommand, request: Request, user: AuthenticatedUser) {
    return this.commands.execute(new CatalogCommandMessage(command, requestContext(request, user.userId)));
  }

  @Post('venues')
  async createVenue(@Body() body: CreateVenueBody, @Req() request: Request, @CurrentUser() user: AuthenticatedUser) {
    const venueId = randomUUID();
    const data = { venueId, name: body.name, location: body.location ?? null, capacity: body.capacity ?? null };
    const { position } = await this.run({ type: 'CreateVenue', data }, request, user);
    return { id: venueId, position };
  }

  /** Answers with the new seats' ids too: a client books seats by id. */
  @Post('venues/:venueId/seats')
  async addSeats(@Param() { venueId }: VenueIdParam, @Body() body: AddSeatsBody, @Req() request: Request, @CurrentUser() user: AuthenticatedUser) {
    const seats = body.seats.map(({ row, number, type }) => ({ seatId: randomUUID(), row, number, type }));
    const { position } = await this.run({ type: 'AddSeats', data: { venueId, seats } }, request, user);
    return { count: seats.length, position, seats };
  }

  @Post('events')
  async createEvent(@Body() body: CreateEventBody, @Req() request: Request, @CurrentUser() user: AuthenticatedUser) {
    const eventId = randomUUID();
    const data = {
      eventId,
      venueId: body.venueId,
      name: body.name,
      description: body.description ?? null,
      startTime: new Date(body.startTime).toISOString(),
      endTime: new Date(body.endTime).toISOString(),
      currency: 'USD',
      prices: toPrices(body),
    };
    const { position } = await this.run({ type: 'CreateShow', data: { ...data, now: new Date().toISOString() } }, request, user);
    return { id: eventId, status: 'DRAFT', position };
  }

  @Put('events/:eventId/prices')
  async changePrices(@Param() { eventId }: EventIdParam, @Body() body: PricesBody, @Req() request: Request, @CurrentUser() user: AuthenticatedUser) {
    const { position } = await this.run({ type: 'ChangePrices', data: { eventId, prices: toPrices(body) } }, request, user);
    return { position };
  }

  @Post('events/:eventId/publish')
  @HttpCode(200)
  async publish(@Param() { eventId }: EventIdParam, @Req() request: Request, @CurrentUser() user: AuthenticatedUser) {
    const { position } = await this.run({ type: 'PublishShow', data: { eventId, now: new Date().toISOString() } }, request, user);
    return { status: 'PUBLISHED', position };
  }

  @Post('events/:eventId/cancel')
  @HttpCode(200)
  async cancel(@Param() { eventId }: EventIdParam, @Req() request: Request, @CurrentUser() user: AuthenticatedUser) {
    const { position } = await this.run({ type: 'CancelShow', data: { eventId } }, request, user);
    return { status: 'CANCELLED', position };
  }
}
