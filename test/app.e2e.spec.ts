import type { NestExpressApplication } from '@nestjs/platform-express';
import { Client } from 'pg';
import request from 'supertest';
import { startApp } from './support/app.js';
import { createTestDatabase, serverUrl } from './support/database.js';
import { onEventStoreDb } from './support/event-store.js';

describe('the service on local defaults', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;

  beforeAll(async () => {
    // A database name that does not exist yet: the service must create it and migrate it.
    database = await createTestDatabase('app');
    await database.drop();
    app = await startApp({ DATABASE_URL: database.url });
  });
  afterAll(async () => {
    await app?.close();
    await database.drop();
  });

  it('created its database, the read-model schemas and, when it is the store, the PostgreSQL event store schema', async () => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT nspname FROM pg_namespace WHERE nspname IN ('eventstore', 'catalog', 'booking', 'payment', 'projections') ORDER BY 1`,
      );
      // On EventStoreDB the service leaves the eventstore schema out: no table there would ever be written.
      const eventStoreSchema = onEventStoreDb() ? [] : ['eventstore'];
      expect(rows.map((r) => r.nspname)).toEqual(['booking', 'catalog', ...eventStoreSchema, 'payment', 'projections']);
      const migrations = await client.query('SELECT name FROM migrations');
      expect(migrations.rows.map((r) => r.name)).toContain('ReadModelSchemas1764036000000');
    } finally {
      await client.end();
    }
  });

  it('reports the event store and the database up on /health', async () => {
    const response = await request(app.getHttpServer()).get('/health').expect(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      info: { eventStore: { status: 'up' }, database: { status: 'up' } },
    });
  });

  it('serves its OpenAPI document at /docs', async () => {
    await request(app.getHttpServer()).get('/docs').expect(200).expect('content-type', /html/);
    const spec = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(spec.body.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.body.paths)).toContain('/health');
  });

  it('answers an unknown route with a problem+json 404', async () => {
    const response = await request(app.getHttpServer()).get('/nowhere').expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, title: 'Not found', type: expect.any(String), detail: expect.any(String) });
  });

  it('answers malformed and oversized JSON with a problem+json 4xx', async () => {
    const malformed = await request(app.getHttpServer()).post('/health').set('content-type', 'application/json').send('{"a":').expect(400);
    expect(malformed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(malformed.body).toMatchObject({ status: 400, detail: 'The body is not valid JSON' });

    const huge = await request(app.getHttpServer())
      .post('/health')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ padding: 'x'.repeat(200_000) }))
      .expect(413);
    expect(huge.body).toMatchObject({ status: 413, detail: 'The body is larger than this service accepts' });
  });

  it('uses the server the tests were given', () => {
    expect(database.url.startsWith(serverUrl().replace(/\/postgres$/, ''))).toBe(true);
  });
});
