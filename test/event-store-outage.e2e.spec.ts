import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createServer, type Server, type Socket } from 'node:net';
import request from 'supertest';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { createTestDatabase } from './support/database.js';

/**
 * The service on EventStoreDB when the server is out of reach: refusing connections (down,
 * restarting) or accepting them and never answering (a hung node, a balancer that black-holes).
 * Either way a command answers 503 with Retry-After within the deadline, readiness says 503, and
 * nothing is logged as a crash. No EventStoreDB server is needed: that is the point.
 */
describe.each([
  ['refusing connections', 'closed'],
  ['stalled: connections accepted, never answered', 'silent'],
] as const)('EventStoreDB %s', (_, kind) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let server: Server;
  const sockets: Socket[] = [];
  let errors: ReturnType<typeof jest.spyOn>;

  beforeAll(async () => {
    database = await createTestDatabase(`outage_${kind}`);
    server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    if (kind === 'closed') await new Promise((resolve) => server.close(resolve));
    app = await startApp({ DATABASE_URL: database.url, EVENTSTORE_URL: `esdb://127.0.0.1:${port}?tls=false`, EVENTSTORE_DEADLINE_MS: '500' });
    errors = jest.spyOn(Logger.prototype, 'error');
  });
  afterAll(async () => {
    errors?.mockRestore();
    await app?.close();
    for (const socket of sockets) socket.destroy();
    if (kind === 'silent') await new Promise((resolve) => server.close(resolve));
    await database?.drop();
  });

  it('answers a command 503 with Retry-After, says not ready, and logs no crash', async () => {
    const admin = await bearer('auth0|organiser', { permissions: ['catalog:write'] });
    const started = Date.now();
    const created = await request(app.getHttpServer()).post('/venues').set('authorization', admin).send({ name: 'Hall', location: 'Town', capacity: 10 });
    expect(created.status).toBe(503);
    expect(created.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(created.headers['retry-after']).toBeDefined();
    expect(created.body).toMatchObject({ status: 503, type: expect.stringMatching(/unavailable$/) });
    expect(Date.now() - started).toBeLessThan(10_000);

    // A stream load on the way to a command (the venue's seats): the same answer.
    const seats = await request(app.getHttpServer())
      .post('/venues/7a0f7a9c-9d3e-4a43-9b8e-3f5a2c1d0e9f/seats')
      .set('authorization', admin)
      .send({ seats: [{ row: 'A', number: 1, type: 'REGULAR' }] });
    expect(seats.status).toBe(503);

    const ready = await request(app.getHttpServer()).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toMatchObject({ eventStore: { status: 'down', message: expect.stringMatching(/event store is unavailable/) }, database: { status: 'up' } });
    expect(errors).not.toHaveBeenCalled();
  });
});
