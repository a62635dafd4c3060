import { Body, Controller, Delete, HttpCode, Param, Post, Put, Req, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { Authenticated, type AuthenticatedUser, CurrentUser } from '../../auth.js';
import { CommandAdmission } from '../command-admission.js';
import { userContext } from '../message-context.js';
import { UserKeys } from '../privacy/user-keys.js';
import { answeredPosition } from '../event-store/handle-command.js';
import { AddSeatsBody, CreateEventBody, CreateVenueBody, EventIdParam, HoldIdParam, HoldSeatsBody, PricesBody, VenueIdParam } from './catalog.dto.js';
import { type CatalogCommand, CatalogCommandMessage } from './catalog.handler.js';
import type { PriceAsked } from './show.decider.js';
import { CommandAnswer } from '../../openapi/common.js';
import { Problems } from '../../openapi/problems.js';
import { EventCancelled, EventCreated, EventPublished, HoldPlaced, SeatsAdded, VenueCreated } from './catalog.responses.js';

// Read as amounts by the show decider, which knows the event's currency.
const toPrices = (body: PricesBody): PriceAsked[] => body.prices.map(({ seatType, price }) => ({ seatType, price }));

/** The catalog's command API: only for tokens with the permission catalog:write. */
@ApiTags('catalog')
@Authenticated('catalog:write')
@UseInterceptors(CommandAdmission)
@Controller()
export class CatalogController {
  constructor(
    private readonly commands: CommandBus,
    private readonly keys: UserKeys,
  ) {}

  private async run(command: CatalogCommand, request: Request, user: AuthenticatedUser): Promise<CommandAnswer> {
    const { position } = await this.commands.execute(new CatalogCommandMessage(command, await userContext(request, user.userId, this.keys)));
    return { position: answeredPosition(position) };
  }

  @Post('venues')
  @ApiOperation({ summary: 'Create a venue', description: 'A venue without seats; add them with addSeats.' })
  @ApiCreatedResponse({ type: VenueCreated })
  async createVenue(@Body() body: CreateVenueBody, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<VenueCreated> {
    const venueId = randomUUID();
    const data = { venueId, name: body.name, location: body.location ?? null, capacity: body.capacity ?? null };
    const { position } = await this.run({ type: 'CreateVenue', data }, request, user);
    return { id: venueId, position };
  }

  /** Answers with the new seats' ids too: a client books seats by id. */
  @Post('venues/:venueId/seats')
  @ApiOperation({
    summary: "Add seats to a venue",
    description:
      "Each seat at a position (section, row, number) of its own, with an optional rank for best available; the answer gives the new seats' ids, which bookings name. All of them or none.",
  })
  @ApiCreatedResponse({ type: SeatsAdded })
  @Problems({
    404: 'No such venue',
    409: 'A seat exists at some of these positions already, or the request names one twice (`conflictingSeats`)',
    422: "More seats than the venue's capacity",
  })
  async addSeats(@Param() { venueId }: VenueIdParam, @Body() body: AddSeatsBody, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<SeatsAdded> {
    // A seat records a section and a rank only when it has them: the seats of a venue without sections stay as they were.
    const seats = body.seats.map(({ section, row, number, type, rank }) => ({
      seatId: randomUUID(), ...(section ? { section } : {}), row, number, type, ...(rank !== undefined && rank !== null ? { rank } : {}),
    }));
    const { position } = await this.run({ type: 'AddSeats', data: { venueId, seats } }, request, user);
    return { count: seats.length, position, seats: seats.map(({ section = '', rank = null, ...seat }) => ({ ...seat, section, rank })) };
  }

  @Post('events')
  @ApiOperation({
    summary: 'Create an event at a venue',
    description:
      'A DRAFT event with a price per seat type, in its currency (default USD); it sells seats once published. startTime must be in the future and before endTime, ' +
      'and each price must have no more decimals than the currency ("1500" for JPY, "45.50" for USD), else 400.',
  })
  @ApiCreatedResponse({ type: EventCreated })
  @Problems({ 404: 'No such venue' })
  async createEvent(@Body() body: CreateEventBody, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<EventCreated> {
    const eventId = randomUUID();
    const data = {
      eventId,
      venueId: body.venueId,
      name: body.name,
      description: body.description ?? null,
      startTime: new Date(body.startTime).toISOString(),
      endTime: new Date(body.endTime).toISOString(),
      currency: body.currency ?? 'USD',
      prices: toPrices(body),
    };
    const { position } = await this.run({ type: 'CreateShow', data: { ...data, now: new Date().toISOString() } }, request, user);
    return { id: eventId, status: 'DRAFT', position };
  }

  @Put('events/:eventId/prices')
  @ApiOperation({
    summary: "Change an event's prices",
    description:
      "Sets the price of each seat type named, in the event's currency (a price with more decimals than it has is a 400); the others keep theirs. " +
      'Bookings placed before keep the prices they were placed at.',
  })
  @ApiOkResponse({ type: CommandAnswer })
  @Problems({ 404: 'No such event', 422: 'The event is cancelled or completed' })
  async changeEventPrices(@Param() { eventId }: EventIdParam, @Body() body: PricesBody, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<CommandAnswer> {
    const { position } = await this.run({ type: 'ChangePrices', data: { eventId, prices: toPrices(body) } }, request, user);
    return { position };
  }

  @Post('events/:eventId/publish')
  @HttpCode(200)
  @ApiOperation({ summary: 'Publish an event', description: 'From then on its seats are sold. Publishing a published event answers the same again.' })
  @ApiOkResponse({ type: EventPublished })
  @Problems({ 404: 'No such event', 422: 'The event is cancelled, completed or started, or has no price' })
  async publishEvent(@Param() { eventId }: EventIdParam, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<EventPublished> {
    const { position } = await this.run({ type: 'PublishShow', data: { eventId, now: new Date().toISOString() } }, request, user);
    return { status: 'PUBLISHED', position };
  }

  @Post('events/:eventId/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel an event',
    description: 'Every booking of the event is cancelled, and every paid one refunded (docs/integration-events.md tells what integrators receive).',
  })
  @ApiOkResponse({ type: EventCancelled })
  @Problems({ 404: 'No such event', 422: 'The event is completed' })
  async cancelEvent(@Param() { eventId }: EventIdParam, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<EventCancelled> {
    const { position } = await this.run({ type: 'CancelShow', data: { eventId } }, request, user);
    return { status: 'CANCELLED', position };
  }

  @Post('events/:eventId/holds')
  @ApiOperation({
    summary: 'Keep seats of an event back from sale',
    description:
      'An organiser\'s hold (press, sponsors, the sound desk): its seats show HELD in the seat map, cannot be booked, and are never chosen by best available, until the hold is released. ' +
      'A seat in an active booking or in another hold cannot be held.',
  })
  @ApiCreatedResponse({ type: HoldPlaced })
  @Problems({
    404: 'No such event',
    409: 'Some seats are in an active booking or held already (`conflictingSeatIds`)',
    422: "Some seats are not in the event's venue (`unknownSeatIds`), or the event is cancelled",
  })
  async holdSeats(@Param() { eventId }: EventIdParam, @Body() body: HoldSeatsBody, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<HoldPlaced> {
    const holdId = randomUUID();
    const { position } = await this.run({ type: 'HoldSeats', data: { eventId, holdId, seatIds: body.seatIds, reason: body.reason } }, request, user);
    return { holdId, position };
  }

  @Delete('events/:eventId/holds/:holdId')
  @ApiOperation({ summary: "Release an organiser's hold", description: 'Its seats are for sale again.' })
  @ApiOkResponse({ type: CommandAnswer })
  @Problems({ 404: 'No such event, or no such hold (or released already)' })
  async releaseHold(@Param() { eventId, holdId }: HoldIdParam, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<CommandAnswer> {
    return this.run({ type: 'ReleaseHold', data: { eventId, holdId } }, request, user);
  }
}
