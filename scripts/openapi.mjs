#!/usr/bin/env node
// Writes the OpenAPI document the service serves at /docs-json to openapi.json, for review and for
// integrators' generators. The application is only composed (Nest's preview mode), never started:
// no database, event store or broker is needed. Usage: npm run openapi [-- <file>]
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { writeFileSync } from 'node:fs';
import { AppModule } from '../dist/src/app.module.js';
import { validateEnvironment } from '../dist/src/config.js';
import { openApiDocument } from '../dist/src/openapi/document.js';

// The document a service on the defaults serves: the environment's own values would change it.
const env = validateEnvironment({});
const saved = process.env;
process.env = {};
const app = await NestFactory.create(AppModule.register(), { preview: true, logger: false });
process.env = saved;
const file = process.argv[2] ?? 'openapi.json';
writeFileSync(file, `${JSON.stringify(openApiDocument(app, env), null, 2)}\n`);
await app.close();
process.stdout.write(`${file}: the OpenAPI document\n`);
