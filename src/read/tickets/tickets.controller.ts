import { Controller, Get, Param, StreamableFile, UseInterceptors } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Authenticated, type AuthenticatedUser, CurrentUser } from '../../auth.js';
import { Problems } from '../../openapi/problems.js';
import { BookingIdParam } from '../../write/booking/booking.dto.js';
import { EventIdParam } from '../../write/catalog/catalog.dto.js';
import { MIN_POSITION, MinPositionInterceptor } from '../min-position.interceptor.js';
import { ticketsPdf } from './ticket-pdf.js';
import { TicketQueries } from './tickets.queries.js';
import { Attendance, BookingTickets, TicketKey, TicketKeySet } from './tickets.responses.js';

const NOT_CONFIRMED = 'The booking is not confirmed (PENDING, or CANCELLED): tickets are issued for a confirmed booking (`booking-not-confirmed`)';

@ApiTags('tickets')
@ApiHeader(MIN_POSITION)
@UseInterceptors(MinPositionInterceptor)
@Controller()
export class TicketQueryController {
  constructor(private readonly queries: TicketQueries) {}

  @Get('bookings/:id/tickets')
  @Authenticated()
  @ApiOperation({ summary: "A confirmed booking's tickets", description: 'One ticket per seat, each with its code (what a gate scans) and that code as a QR code (SVG). Only for the booking\'s owner.' })
  @ApiOkResponse({ type: BookingTickets })
  @Problems({ 404: 'No such booking (or not yours)', 409: NOT_CONFIRMED })
  tickets(@Param() { id }: BookingIdParam, @CurrentUser() user: AuthenticatedUser): Promise<BookingTickets> {
    return this.queries.ticketsWithQr(id, user.userId);
  }

  @Get('bookings/:id/tickets.pdf')
  @Authenticated()
  @ApiProduces('application/pdf')
  @ApiOperation({ summary: "A confirmed booking's tickets as a PDF", description: 'One page (A6) per ticket: the event, the seat and the QR code.' })
  @ApiOkResponse({ description: 'The PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } })
  @Problems({ 404: 'No such booking (or not yours)', 409: NOT_CONFIRMED })
  async ticketsPdf(@Param() { id }: BookingIdParam, @CurrentUser() user: AuthenticatedUser): Promise<StreamableFile> {
    const pdf = await ticketsPdf(await this.queries.tickets(id, user.userId));
    return new StreamableFile(pdf, { type: 'application/pdf', disposition: `inline; filename="tickets-${id}.pdf"`, length: pdf.length });
  }

  @Get('events/:eventId/ticket-key')
  @ApiOperation({
    summary: "The public key that signs the event's tickets",
    description: 'A JWK (OKP, Ed25519). Public: a gate downloads it before the doors open and verifies codes offline. Made the first time it is needed.',
  })
  @ApiOkResponse({ type: TicketKey })
  @Problems({ 404: 'No such event' })
  async ticketKey(@Param() { eventId }: EventIdParam): Promise<TicketKey> {
    const [current] = await this.queries.publicKeys(eventId);
    return current as TicketKey;
  }

  @Get('events/:eventId/ticket-keys')
  @ApiOperation({ summary: "Every key that verifies the event's tickets (a JWKS)", description: 'The current key first, then the keys rotated out that still verify tickets issued before (docs/tickets.md). Revoked keys are not in it.' })
  @ApiOkResponse({ type: TicketKeySet })
  @Problems({ 404: 'No such event' })
  async ticketKeys(@Param() { eventId }: EventIdParam): Promise<TicketKeySet> {
    return { keys: (await this.queries.publicKeys(eventId)) as TicketKey[] };
  }

  @Get('events/:eventId/attendance')
  @Authenticated('checkin:write')
  @ApiOperation({ summary: 'Who has come in', description: 'Tickets of confirmed bookings, tickets admitted, duplicate scans refused, and admissions by gate.' })
  @ApiOkResponse({ type: Attendance })
  @Problems({ 404: 'No such event' })
  attendance(@Param() { eventId }: EventIdParam): Promise<Attendance> {
    return this.queries.attendance(eventId);
  }
}
