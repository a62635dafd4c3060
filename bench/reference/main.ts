import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { configureApp } from '../../src/app.module.js';
import { ReferenceModule } from './reference.module.js';

// The reference implementation of the original design, for bench/onsale.mjs: PORT and DATABASE_URL
// as the service reads them; REFERENCE_LOCKING=as-written|seats-first.
const app = await NestFactory.create<NestExpressApplication>(ReferenceModule, { bodyParser: false, logger: ['error', 'warn'] });
configureApp(app);
await app.listen(Number(process.env.PORT ?? 3100));
