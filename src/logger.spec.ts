import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import request from 'supertest';
import { eventually } from '../test/support/eventually.js';
import { createPino, requestLogger } from './logger.js';

/** Each secret is unique text, so finding it anywhere in the output means it was logged. */
const secrets = {
  authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhdXRoMHxhbGljZSJ9.a-token-that-must-never-be-logged',
  'proxy-authorization': 'Basic cHJveHk6YS1wcm94eS1wYXNzd29yZA==',
  cookie: 'session=a-session-cookie-that-must-never-be-logged',
  'x-api-key': 'an-api-key-that-must-never-be-logged',
  'eventix-signature': 't=1893456000,v1=5f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80',
};
const setCookie = 'session=a-cookie-the-service-sets-that-must-never-be-logged';

describe('the request log', () => {
  /** The request logger, writing its lines to `lines`. */
  const capture = () => {
    const lines: string[] = [];
    const output = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { lines, log: requestLogger(createPino('info', output)) };
  };

  it('holds no bearer token, cookie, API key or webhook signature, in requests or responses', async () => {
    const { lines, log } = capture();
    const server = createServer((req, res) => {
      log(req, res);
      res.setHeader('set-cookie', setCookie);
      res.end('{}');
    });

    await request(server).post('/payments/webhook').set(secrets).set('idempotency-key', 'key-1').send('{}').expect(200);
    const line = await eventually(() => lines.find((entry) => entry.includes('"req"')), 5_000, 'the request line');

    for (const secret of [...Object.values(secrets), setCookie]) expect(lines.join('')).not.toContain(secret);
    // The headers are still logged, the secret ones as a mark: someone debugging sees that they came.
    const { req, res } = JSON.parse(line);
    expect(req.headers).toMatchObject({ ...Object.fromEntries(Object.keys(secrets).map((name) => [name, '[redacted]'])), 'idempotency-key': 'key-1' });
    expect(res.headers['set-cookie']).toBe('[redacted]');
  });

  it("keeps no user id from an erasure's path", async () => {
    const { lines, log } = capture();
    const server = createServer((req, res) => {
      log(req, res);
      res.end('{}');
    });
    await request(server).post(`/users/${encodeURIComponent('auth0|a-user-to-forget')}/erase`).send('{}').expect(200);
    const line = await eventually(() => lines.find((entry) => entry.includes('"req"')), 5_000, 'the request line');
    expect(lines.join('')).not.toMatch(/a-user-to-forget/);
    expect(JSON.parse(line).req.url).toBe('/users/[redacted]/erase');
  });
});
