import { Controller, Delete, HttpCode, Param, Post, Req, UseInterceptors } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, MinLength } from 'class-validator';
import type { Request } from 'express';
import { Authenticated, type AuthenticatedUser, CurrentUser } from '../../auth.js';
import { CommandAnswer } from '../../openapi/common.js';
import { Problems } from '../../openapi/problems.js';
import { MaxCharacters, NoControlCharacters } from '../../validation.js';
import { CommandAdmission } from '../command-admission.js';
import { answeredPosition } from '../event-store/handle-command.js';
import { requestContext } from '../message-context.js';
import { Erasure } from './erasure.js';
import { UserKeys } from './user-keys.js';

export class UserIdParam {
  @ApiProperty({ maxLength: 255, example: 'auth0|5f7c8ec7c33c6c004bbafe82', description: "The user's id: the `sub` of the user's tokens" })
  @IsString() @MinLength(1) @MaxCharacters(255) @NoControlCharacters()
  userId!: string;
}

export class ErasureAnswer extends CommandAnswer {
  @ApiProperty({ example: 'erased:0b6e2f5c-8d0a-4f0e-9a51-1c2d3e4f5a6b', description: 'How the read models and every answer name the user from now on' })
  user!: string;
  @ApiProperty({ format: 'date-time' }) erasedAt!: string;
}

const ERASURE =
  "Destroys the user's key (crypto-shredding, docs/privacy.md): every user id of theirs in the event log becomes unreadable. " +
  'The read models and every answer show the user as `erased:<subject>`, histories and audits as `[erased]`; bookings, seats, payments and money are untouched, ' +
  "and the log's hash chain still holds. Nobody can act as the owner of those bookings afterwards: fetch tickets first. " +
  'The erasure is recorded in the log (`PersonalDataErased`, naming the subject only).';

@ApiTags('privacy')
@UseInterceptors(CommandAdmission)
@Controller()
export class PrivacyController {
  constructor(
    private readonly erasure: Erasure,
    private readonly keys: UserKeys,
  ) {}

  @Post('users/:userId/erase')
  @HttpCode(200)
  @Authenticated('privacy:erase')
  @ApiOperation({ summary: 'Erase a user', description: ERASURE })
  @ApiOkResponse({ type: ErasureAnswer })
  @Problems({ 400: 'The user id is empty, longer than 255 characters or holds control characters', 404: 'No personal data of this user is held (never acted here, or erased already)' })
  async eraseUser(@Param() { userId }: UserIdParam, @Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<ErasureAnswer> {
    return this.erase(userId, request, user);
  }

  @Delete('me')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ summary: 'Erase yourself', description: `The token's own user. ${ERASURE}` })
  @ApiOkResponse({ type: ErasureAnswer })
  @Problems({ 404: 'No personal data of yours is held (never acted here, or erased already)' })
  async eraseMe(@Req() request: Request, @CurrentUser() user: AuthenticatedUser): Promise<ErasureAnswer> {
    return this.erase(user.userId, request, user);
  }

  private async erase(userId: string, request: Request, actor: AuthenticatedUser): Promise<ErasureAnswer> {
    // Erasing oneself is done under one's own key as it is: encrypting the actor anew would make a key to erase.
    const encrypted = userId === actor.userId ? await this.keys.existingEncryptedId(userId) : await this.keys.encryptedId(actor.userId);
    const context = requestContext(request, encrypted ?? null); // none: nothing of the user is held, and the erasure says so
    const { user, erasedAt, position } = await this.erasure.erase(userId, context);
    return { user, erasedAt, position: answeredPosition(position) };
  }
}
