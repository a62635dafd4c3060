import { type BeforeApplicationShutdown, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { pause } from './pause.js';
import { toProblem } from './problem-details.filter.js';

/** The longest shutdown waits for requests to stop arriving. */
const DRAIN_MS = 10_000;
/** No request for this long: nobody is knocking, the door can close. */
const QUIET_MS = 300;

/**
 * Shutdown that cuts no request off. Closing a listener resets every connection still waiting in
 * the kernel's accept queue, and Node's server.close() also drops each keep-alive connection whose
 * next request it has not read yet: under load, with the event loop behind, that is many clients
 * told ECONNRESET. So when shutdown begins, the door stays open a moment longer: requests in
 * flight finish (and their connections close after them), each new one is turned away at once
 * with a 503 and `Connection: close`, and only when none has come for QUIET_MS (at most DRAIN_MS)
 * does the HTTP server close. /health/ready says 503 from the same moment, so a balancer stops
 * sending; the stores close only after this (onApplicationShutdown).
 */
@Injectable()
export class HttpDrain implements BeforeApplicationShutdown {
  private draining = false;
  private lastArrival = 0;
  private readonly inFlight = new Set<Response>();

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** The first middleware of all (configureApp). */
  readonly middleware = (request: Request, response: Response, next: NextFunction) => {
    this.lastArrival = Date.now();
    if (this.draining) {
      const problem = toProblem(new ServiceUnavailableException('This instance is shutting down; retry'));
      response.set({ Connection: 'close', 'Retry-After': '1' }).status(503).type('application/problem+json').send(JSON.stringify(problem));
      return;
    }
    this.inFlight.add(response);
    response.on('close', () => this.inFlight.delete(response));
    next();
  };

  async beforeApplicationShutdown() {
    const server: Server | undefined = this.adapterHost.httpAdapter?.getHttpServer();
    if (!server?.listening) return;
    this.draining = true;
    for (const response of this.inFlight) if (!response.headersSent) response.set('Connection', 'close');
    for (const deadline = Date.now() + DRAIN_MS; Date.now() < deadline && Date.now() - this.lastArrival < QUIET_MS; ) await pause(50);
  }
}
