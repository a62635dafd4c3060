import { type CanActivate, type ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { AuthenticatedUser } from './auth.js';
import { Environment } from './config.js';

/**
 * Attempts to book or to pay, limited per user (the token's `sub`, never the IP: buyers share
 * NATs) and per route: BOOKING_RATE_LIMIT attempts per BOOKING_RATE_WINDOW_SECONDS, 0 turns it
 * off. Over the limit: 429 problem+json with Retry-After, before anything is read or written.
 * The counts live in this instance's memory (rate-limiter-flexible), so N instances behind a
 * balancer allow up to N× the limit (SECURITY.md). Use it after @Authenticated(), so the user is known.
 */
@Injectable()
export class PerUserRateLimit implements CanActivate {
  private readonly limiter?: RateLimiterMemory;

  constructor(private readonly env: Environment) {
    if (env.BOOKING_RATE_LIMIT > 0) this.limiter = new RateLimiterMemory({ points: env.BOOKING_RATE_LIMIT, duration: env.BOOKING_RATE_WINDOW_SECONDS });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.limiter) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { user?: AuthenticatedUser }>();
    const response = http.getResponse<Response>();
    const who = request.user ? `user:${request.user.userId}` : `ip:${request.ip}`;
    try {
      const taken = await this.limiter.consume(`${context.getClass().name}.${context.getHandler().name} ${who}`);
      response.setHeader('RateLimit-Remaining', String(taken.remainingPoints));
      return true;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      response.setHeader('Retry-After', String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1_000))));
      throw new HttpException(
        `Too many attempts: at most ${this.env.BOOKING_RATE_LIMIT} every ${this.env.BOOKING_RATE_WINDOW_SECONDS} s; retry after the seconds in Retry-After`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
  }
}
