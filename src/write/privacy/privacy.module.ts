import { Global, Module } from '@nestjs/common';
import { Erasure } from './erasure.js';
import { PrivacyController } from './privacy.controller.js';
import { UserKeys } from './user-keys.js';

/** Per-user keys for every module that encrypts or opens user ids, and the erasure routes. */
@Global()
@Module({ controllers: [PrivacyController], providers: [UserKeys, Erasure], exports: [UserKeys] })
export class PrivacyModule {}
