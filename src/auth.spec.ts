import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { Controller, Get } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import request from 'supertest';
import { bearer } from '../test/support/auth.js';
import { configureApp, EnvironmentModule } from './app.module.js';
import { HttpDrain } from './http-drain.js';
import { Authenticated, type AuthenticatedUser, AuthModule, CurrentUser } from './auth.js';
import { DEVELOPMENT_JWT_SECRET } from './config.js';

@Controller()
class ProbeController {
  @Get('me')
  @Authenticated()
  me(@CurrentUser() user: AuthenticatedUser) {
    return user;
  }

  @Get('catalog-probe')
  @Authenticated('catalog:write')
  write(@CurrentUser() user: AuthenticatedUser) {
    return { writtenBy: user.userId };
  }
}

/** A Nest app with only config and auth, on the given environment (set around the boot, as test/support/app.ts does). */
const startAuthApp = async (env: Record<string, string>): Promise<NestExpressApplication> => {
  const saved = { ...process.env };
  // Empty means unset to validateEnvironment: whatever auth settings the shell has must not leak in.
  Object.assign(process.env, { NODE_ENV: 'test', AUTH_JWT_SECRET: '', AUTH_JWKS_URI: '', AUTH_ISSUER: '', AUTH_AUDIENCE: '', ...env });
  try {
    const config = EnvironmentModule.register();
    // HttpDrain: configureApp puts its middleware first in every app.
    const moduleRef = await Test.createTestingModule({ imports: [config, AuthModule], controllers: [ProbeController], providers: [HttpDrain] }).compile();
    const app = configureApp(moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: ['error'] }));
    await app.init();
    return app;
  } finally {
    process.env = saved;
  }
};

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);
const inFiveMinutes = () => nowSeconds() + 300;
/** For claims bearer() does not write: signed right, so only the claims are wrong. */
const signedClaims = async (claims: Record<string, unknown>) =>
  `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(DEVELOPMENT_JWT_SECRET))}`;

const expectUnauthorized = (response: request.Response, detail: string) => {
  expect(response.status).toBe(401);
  expect(response.headers['www-authenticate']).toBe('Bearer');
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toEqual({ type: expect.any(String), title: 'Unauthorized', status: 401, detail });
};

describe('auth with HS256 tokens (outside production)', () => {
  let app: NestExpressApplication;
  beforeAll(async () => {
    app = await startAuthApp({});
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lets a valid token in and hands the route its user', async () => {
    const response = await request(app.getHttpServer()).get('/me').set('Authorization', await bearer('auth0|alice')).expect(200);
    expect(response.body).toEqual({ userId: 'auth0|alice', permissions: [] });
  });

  const refused: [string, () => Promise<string | undefined>, string][] = [
    ['no Authorization header', async () => undefined, 'A bearer token is required'],
    ['the Basic scheme', async () => `Basic ${Buffer.from('alice:secret').toString('base64')}`, 'A bearer token is required'],
    ['a garbage token', async () => 'Bearer not.a.jwt', 'The token is not valid'],
    ['a token signed with another secret', () => bearer('alice', { secret: 'x'.repeat(40) }), 'The token is not valid'],
    ['an expired token', () => bearer('alice', { expiresIn: '-1m' }), 'The token has expired'],
    ['an unsigned token (alg: none)', async () => `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'alice', exp: inFiveMinutes() })}.`, 'The token is not valid'],
    ['a token without sub', () => signedClaims({}), 'The token is not valid'],
    ['a token with an empty sub', () => signedClaims({ sub: '' }), 'The token is not valid'],
    ['a token whose permissions are not strings', () => signedClaims({ sub: 'alice', permissions: 'catalog:write' }), 'The token is not valid'],
    ['a token whose sub is longer than a user id can be (256 characters)', () => signedClaims({ sub: 'a'.repeat(256) }), 'The token is not valid'],
    ['a token whose sub is 10,000 characters', () => signedClaims({ sub: 'a'.repeat(10_000) }), 'The token is not valid'],
    ['a token whose sub holds a NUL (no database stores it)', () => signedClaims({ sub: 'alice\u0000' }), 'The token is not valid'],
    ['a token whose sub holds a lone UTF-16 surrogate', () => signedClaims({ sub: 'alice\ud800' }), 'The token is not valid'],
    ['a token issued a minute in the future (beyond the 5 s clock tolerance)', () => signedClaims({ sub: 'alice', iat: nowSeconds() + 60 }), 'The token is not valid'],
  ];
  it.each(refused)('refuses %s with a 401 problem', async (_, header, detail) => {
    const value = await header();
    const call = request(app.getHttpServer()).get('/me');
    expectUnauthorized(await (value === undefined ? call : call.set('Authorization', value)), detail);
  });

  it('lets in a sub of 255 characters, the most a user id column holds', async () => {
    const response = await request(app.getHttpServer()).get('/me').set('Authorization', await signedClaims({ sub: 'a'.repeat(255) })).expect(200);
    expect(response.body.userId).toHaveLength(255);
  });

  it("lets in a token issued a moment ahead, within the clock tolerance (the issuer's clock may run fast)", async () => {
    await request(app.getHttpServer()).get('/me').set('Authorization', await signedClaims({ sub: 'alice', iat: nowSeconds() + 3 })).expect(200);
  });

  it('refuses a token without the needed permission with a 403 problem', async () => {
    const response = await request(app.getHttpServer())
      .get('/catalog-probe')
      .set('Authorization', await bearer('alice', { permissions: ['bookings:read'] }))
      .expect(403);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 403, detail: 'This needs the permission catalog:write' });
  });

  it('lets a token with the needed permission in', async () => {
    await request(app.getHttpServer())
      .get('/catalog-probe')
      .set('Authorization', await bearer('alice', { permissions: ['catalog:write'] }))
      .expect(200, { writtenBy: 'alice' });
  });

  it('refuses a token it let in once the token has expired (verified tokens are remembered only until then)', async () => {
    const token = await bearer('auth0|brief', { expiresIn: '60s' });
    await request(app.getHttpServer()).get('/me').set('Authorization', token).expect(200);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'queueMicrotask'] });
    try {
      jest.setSystemTime(Date.now() + 70_000); // past exp and jose's 5 s tolerance
      expectUnauthorized(await request(app.getHttpServer()).get('/me').set('Authorization', token), 'The token has expired');
    } finally {
      jest.useRealTimers();
    }
  });

  it('documents the routes as needing a bearer token', async () => {
    const spec = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(spec.body.paths['/me'].get.security).toEqual([{ bearer: [] }]);
  });
});

describe('auth with RS256 tokens through JWKS (production)', () => {
  const issuer = 'https://eventix.eu.auth0.com/';
  const audience = 'https://api.eventix.dev';
  const kid = 'test-key';
  let keys: { privateKey: CryptoKey; publicKey: CryptoKey };
  let jwks: Server;
  let app: NestExpressApplication;
  let unreachable: NestExpressApplication;

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  };
  const rs256 = (key: CryptoKey, claims: { iss?: string; aud?: string } = {}) =>
    new SignJWT({ permissions: ['catalog:write'] })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setSubject('auth0|bob')
      .setIssuer(claims.iss ?? issuer)
      .setAudience(claims.aud ?? audience)
      .setExpirationTime('5m')
      .sign(key)
      .then((token) => `Bearer ${token}`);

  beforeAll(async () => {
    keys = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(keys.publicKey)), kid, alg: 'RS256', use: 'sig' };
    jwks = createServer((_, response) => response.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
    app = await startAuthApp({ AUTH_JWKS_URI: await listen(jwks), AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience });

    const closed = createServer();
    const closedUri = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    unreachable = await startAuthApp({ AUTH_JWKS_URI: closedUri, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience });
  });
  afterAll(async () => {
    await app?.close();
    await unreachable?.close();
    jwks?.closeAllConnections();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  it('lets an RS256 token from the issuer for this audience in', async () => {
    const response = await request(app.getHttpServer()).get('/catalog-probe').set('Authorization', await rs256(keys.privateKey)).expect(200);
    expect(response.body).toEqual({ writtenBy: 'auth0|bob' });
  });

  it('refuses a token for another audience', async () => {
    expectUnauthorized(await request(app.getHttpServer()).get('/me').set('Authorization', await rs256(keys.privateKey, { aud: 'https://other.api' })), 'The token is not valid');
  });

  it('refuses a token from another issuer', async () => {
    expectUnauthorized(await request(app.getHttpServer()).get('/me').set('Authorization', await rs256(keys.privateKey, { iss: 'https://evil.example/' })), 'The token is not valid');
  });

  it('refuses HS256 tokens: neither the development secret nor the public key works as an HMAC secret', async () => {
    const publicPem = await exportSPKI(keys.publicKey);
    for (const secret of [undefined, publicPem]) {
      const token = await bearer('auth0|bob', { secret, issuer, audience, permissions: ['catalog:write'] });
      expectUnauthorized(await request(app.getHttpServer()).get('/me').set('Authorization', token), 'The token is not valid');
    }
  });

  it('refuses a token signed by another key under the same kid', async () => {
    const impostor = await generateKeyPair('RS256');
    expectUnauthorized(await request(app.getHttpServer()).get('/me').set('Authorization', await rs256(impostor.privateKey)), 'The token is not valid');
  });

  it('answers 503, not 401, while the key set cannot be fetched', async () => {
    const response = await request(unreachable.getHttpServer()).get('/me').set('Authorization', await rs256(keys.privateKey)).expect(503);
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(response.body).toMatchObject({ status: 503, detail: 'Tokens cannot be checked right now; retry shortly' });
  });
});
