import {
  applyDecorators,
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  ForbiddenException,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  ServiceUnavailableException,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, DECORATORS } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { Environment } from './config.js';
import { Problems } from './openapi/problems.js';
import { characters, unstorable } from './validation.js';

/**
 * Bearer JWTs (SPEC §4 "Auth"): RS256 through JWKS when AUTH_JWKS_URI is set (production),
 * else HS256 with AUTH_JWT_SECRET. The user id is the token's `sub`; Auth0 RBAC puts the
 * granted permissions in the `permissions` claim.
 */
export type AuthenticatedUser = { userId: string; permissions: string[] };

/** Resolves to the token's user, or throws UnauthorizedException (bad token) / ServiceUnavailableException (keys unreachable). */
export type TokenVerifier = (token: string) => Promise<AuthenticatedUser>;
export const TOKEN_VERIFIER = Symbol('TOKEN_VERIFIER');

type AuthSettings = Pick<Environment, 'AUTH_JWT_SECRET' | 'AUTH_JWKS_URI' | 'AUTH_ISSUER' | 'AUTH_AUDIENCE'>;

// Failures of fetching the key set, not of the token: answering 401 would make clients drop good tokens.
const KEY_SOURCE_FAILURES = new Set(['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);

/** How far the issuer's clock may be from ours, for exp, nbf and iat. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** The read models keep user ids in varchar(255) columns (booking.bookings.user_id). */
const USER_ID_MAX_LENGTH = 255;

export const createTokenVerifier = (settings: AuthSettings): TokenVerifier => {
  const logger = new Logger('Auth');
  const key = settings.AUTH_JWKS_URI
    ? createRemoteJWKSet(new URL(settings.AUTH_JWKS_URI))
    : new TextEncoder().encode(settings.AUTH_JWT_SECRET);
  const options: JWTVerifyOptions = {
    // Pinned, so `alg: none` and HS256 signed with the public RSA key (algorithm confusion) are refused.
    algorithms: settings.AUTH_JWKS_URI ? ['RS256'] : ['HS256'],
    issuer: settings.AUTH_ISSUER,
    audience: settings.AUTH_AUDIENCE,
    requiredClaims: ['sub', 'exp'],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  };
  logger.log(settings.AUTH_JWKS_URI ? `Tokens: RS256 with keys from ${settings.AUTH_JWKS_URI}` : 'Tokens: HS256 with AUTH_JWT_SECRET');

  // Tokens verified lately: a buyer in an on-sale sends the same token with every request, and an
  // HMAC or RSA check through WebCrypto on every one is a large share of the service's CPU. An entry lasts until the
  // token expires, and at most VERIFIED_TTL_MS, so a key taken out of the JWKS stops working within that.
  const verified = new Map<string, { user: AuthenticatedUser; until: number }>();
  return async (token) => {
    const hit = verified.get(token);
    if (hit && Date.now() < hit.until) return hit.user;
    if (hit) verified.delete(token);
    const { user, expiresAt } = await verifyToken(token);
    if (verified.size >= VERIFIED_CAPACITY) verified.delete(verified.keys().next().value!);
    verified.set(token, { user, until: Math.min(expiresAt, Date.now() + VERIFIED_TTL_MS) });
    return user;
  };

  async function verifyToken(token: string): Promise<{ user: AuthenticatedUser; expiresAt: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, options));
    } catch (error) {
      if (!(error instanceof errors.JOSEError) || KEY_SOURCE_FAILURES.has(error.code)) {
        // The problem filter logs 5xx with their cause; the client gets no internals.
        throw new ServiceUnavailableException('Tokens cannot be checked right now; retry shortly', { cause: error });
      }
      // Why a token failed helps whoever configures the issuer; the client only learns that it did.
      logger.debug(`Token refused: ${error.code} ${error.message}`);
      throw new UnauthorizedException(error instanceof errors.JWTExpired ? 'The token has expired' : 'The token is not valid');
    }
    const { sub, iat, permissions = [] } = payload;
    // jose checks iat only under maxTokenAge, which would also cap how long a token lives; a token
    // issued in the future means a clock or an issuer gone wrong.
    if (iat !== undefined && iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) {
      logger.debug(`Token refused: issued at ${iat}, in the future`);
      throw new UnauthorizedException('The token is not valid');
    }
    // The user id goes into events and varchar(255) columns: a longer one fails the read model's
    // insert, and text PostgreSQL cannot store fails the append. Refused here instead, as a 401.
    const wellFormed =
      typeof sub === 'string' && sub !== '' && characters(sub) <= USER_ID_MAX_LENGTH && !unstorable(sub) &&
      Array.isArray(permissions) && permissions.every((p) => typeof p === 'string');
    if (!wellFormed) throw new UnauthorizedException('The token is not valid');
    return { user: { userId: sub, permissions }, expiresAt: payload.exp! * 1000 };
  }
};

const VERIFIED_CAPACITY = 10_000;
const VERIFIED_TTL_MS = 60_000;

type AuthenticatedRequest = Request & { user?: AuthenticatedUser };

const RequiredPermissions = Reflector.createDecorator<string[]>();

const bearerToken = (header: string | undefined): string => {
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(header ?? '');
  if (!match) throw new UnauthorizedException('A bearer token is required');
  return match[1];
};

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(TOKEN_VERIFIER) private readonly verify: TokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    let user: AuthenticatedUser;
    try {
      user = await this.verify(bearerToken(request.headers.authorization));
    } catch (error) {
      // RFC 6750: a 401 names the scheme the client should use.
      if (error instanceof UnauthorizedException) http.getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer');
      throw error;
    }
    // A class-level @Authenticated(...) and a method-level one both apply.
    const required = this.reflector.getAllAndMerge(RequiredPermissions, [context.getHandler(), context.getClass()]);
    const missing = required.find((permission) => !user.permissions.includes(permission));
    if (missing) throw new ForbiddenException(`This needs the permission ${missing}`);
    request.user = user;
    return true;
  }
}

/**
 * The permissions in the OpenAPI document (`x-permissions`, document.ts says them in words): on a
 * class, added to each of its routes, so that a route shows every permission the guard demands of it.
 */
const DocumentPermissions =
  (permissions: string[]) =>
  (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    const prototype = (target as { prototype?: object }).prototype;
    const handlers = descriptor
      ? [descriptor.value]
      : Object.getOwnPropertyNames(prototype ?? {}).filter((name) => name !== 'constructor').map((name) => Object.getOwnPropertyDescriptor(prototype, name)?.value);
    for (const handler of handlers.filter((value) => typeof value === 'function')) {
      const extensions = Reflect.getMetadata(DECORATORS.API_EXTENSION, handler) ?? {};
      const union = [...new Set([...(extensions['x-permissions'] ?? []), ...permissions])];
      if (union.length > 0) Reflect.defineMetadata(DECORATORS.API_EXTENSION, { ...extensions, 'x-permissions': union }, handler);
    }
  };

/** The route needs a valid bearer token carrying every permission named here. */
export const Authenticated = (...permissions: string[]) =>
  applyDecorators(
    RequiredPermissions(permissions),
    UseGuards(AuthGuard),
    ApiBearerAuth(),
    DocumentPermissions(permissions),
    Problems(permissions.length > 0 ? { 401: true, 403: true } : { 401: true }),
  );

export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): AuthenticatedUser => {
  const { user } = context.switchToHttp().getRequest<AuthenticatedRequest>();
  // Without the guard there is no user: a programming error, so a 500 rather than a silent undefined.
  if (!user) throw new Error('CurrentUser() is used on a route without @Authenticated()');
  return user;
});

@Global()
@Module({
  providers: [
    {
      provide: TOKEN_VERIFIER,
      inject: [Environment],
      useFactory: (env: Environment) => createTokenVerifier(env),
    },
    AuthGuard,
  ],
  exports: [TOKEN_VERIFIER, AuthGuard],
})
export class AuthModule {}
