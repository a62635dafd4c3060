#!/usr/bin/env node
// A development token for trying the API outside production: HS256 with AUTH_JWT_SECRET (or the
// development default). Usage: npm run token -- <user id> [permission …]
import { SignJWT } from 'jose';
import { DEVELOPMENT_JWT_SECRET } from '../dist/src/config.js';

const [sub = 'auth0|developer', ...permissions] = process.argv.slice(2);
const secret = new TextEncoder().encode(process.env.AUTH_JWT_SECRET || DEVELOPMENT_JWT_SECRET);
const token = await new SignJWT({ permissions })
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject(sub)
  .setIssuedAt()
  .setExpirationTime('12h')
  .sign(secret);
process.stdout.write(`${token}\n`);
