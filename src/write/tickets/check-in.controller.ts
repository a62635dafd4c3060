import { Body, Controller, HttpCode, Param, Post, Req, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Authenticated, type AuthenticatedUser, CurrentUser } from '../../auth.js';
import { Problems } from '../../openapi/problems.js';
import { EventIdParam } from '../catalog/catalog.dto.js';
import { CommandAdmission } from '../command-admission.js';
import { answeredPosition } from '../event-store/handle-command.js';
import { userContext } from '../message-context.js';
import { UserKeys } from '../privacy/user-keys.js';
import { CheckInMessage } from './check-in.handler.js';
import { CheckInBody } from './tickets.dto.js';
import { CheckedInAnswer } from './tickets.responses.js';

/** A scan without a gate's name counts under this one. */
export const UNNAMED_GATE = 'unnamed';

/** The door: gates scan tickets. Only for tokens with the permission checkin:write. */
@ApiTags('tickets')
@Authenticated('checkin:write')
@UseInterceptors(CommandAdmission)
@Controller('events/:eventId')
export class CheckInController {
  constructor(
    private readonly commands: CommandBus,
    private readonly keys: UserKeys,
  ) {}

  @Post('check-ins')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Scan a ticket at a gate',
    description:
      'A ticket admits once: 200 ADMITTED the first time; 409 ALREADY_ADMITTED after, with the first scan\'s time and gate (the scan is recorded as a duplicate); ' +
      "409 VOID when the ticket's booking is no longer confirmed or the event is cancelled (nothing recorded). " +
      'Offline gates upload their scans later with `scannedAt`: the earliest scan admits, and a later one that had admitted becomes a duplicate. ' +
      'The same scan (code, gate, scannedAt) sent again is recorded once and answered as the first time.',
  })
  @ApiOkResponse({ type: CheckedInAnswer })
  @Problems({
    400: 'A field fails validation; the code is not a ticket code, is altered (its signature fails), is for another event, or is signed with a key the event does not have (or revoked); scannedAt is in the future or before the ticket was issued',
    404: 'No such event',
    409: 'ALREADY_ADMITTED (`result`, `firstScan`, `ticketId`, `seatId`), or VOID (`result`, `reason`, `ticketId`, `seatId`)',
  })
  async checkIn(@Param() { eventId }: EventIdParam, @Body() body: CheckInBody, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<CheckedInAnswer> {
    const checkIn = { eventId, code: body.code, gate: body.gate ?? UNNAMED_GATE, scannedAt: body.scannedAt ?? null };
    const { position, ...admitted } = await this.commands.execute(new CheckInMessage(checkIn, await userContext(request, user.userId, this.keys)));
    return { ...admitted, position: answeredPosition(position) };
  }
}
