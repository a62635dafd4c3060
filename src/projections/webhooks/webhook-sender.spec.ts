import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../../write/payment/webhook-signature.js';
import { targetPolicy } from '../../write/webhooks/webhook-target.js';
import type { IntegrationEvent } from '../integration-events.js';
import { retryDelay } from './webhook-delivery.js';
import { WebhookSender } from './webhook-sender.js';

const envelope: IntegrationEvent = {
  id: '3b0c1d4e-0000-4000-8000-000000000001', type: 'booking.reserved', version: 1, time: '2030-01-01T00:00:00.000Z',
  correlationId: 'c-1', causationId: null, subject: 'b-1', data: { bookingId: 'b-1' },
};
const position = '00000000000000000001:00000000000000000002';

describe('sending a webhook', () => {
  let server: Server;
  let url: string;
  let requests: { headers: IncomingHttpHeaders; body: Buffer }[];
  let answer: (respond: (status: number, headers?: Record<string, string>) => void) => void;
  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        requests.push({ headers: request.headers, body: Buffer.concat(chunks) });
        answer((status, headers) => response.writeHead(status, headers).end('x'.repeat(1_000)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://localhost:${(server.address() as AddressInfo).port}/in`;
  });
  beforeEach(() => {
    requests = [];
    answer = (respond) => respond(204);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const sender = (policy = targetPolicy('test'), timeoutMs = 2_000) => new WebhookSender({ url, secret: 'whsec_test', policy, concurrency: 2, timeoutMs });

  it('POSTs the envelope, signed over the exact bytes it sends', async () => {
    const attempt = await sender().send(envelope, position, 1, new AbortController().signal);
    expect(attempt).toMatchObject({ outcome: 'DELIVERED', statusCode: 204, error: null });
    const [{ headers, body }] = requests;
    expect(JSON.parse(body.toString())).toEqual(envelope);
    expect(verifyWebhook(headers['eventix-signature'] as string, body, 'whsec_test')).toBe(true);
    expect(headers).toMatchObject({ 'eventix-event-id': envelope.id, 'eventix-event-type': 'booking.reserved', 'eventix-position': position, 'eventix-delivery-attempt': '1' });
  });

  it('counts a redirect as a failure and does not follow it', async () => {
    answer = (respond) => respond(307, { location: 'http://169.254.169.254/' });
    const attempt = await sender().send(envelope, position, 1, new AbortController().signal);
    expect(attempt).toMatchObject({ outcome: 'FAILED', statusCode: 307 });
    expect(attempt.error).toHaveLength('HTTP 307: '.length + 300); // the answer's start, not all of it
    expect(requests).toHaveLength(1);
  });

  it('gives up on an endpoint that does not answer in time', async () => {
    answer = () => undefined;
    const attempt = await sender(targetPolicy('test'), 200).send(envelope, position, 1, new AbortController().signal);
    expect(attempt).toMatchObject({ outcome: 'FAILED', statusCode: null, error: 'no answer within 0.2 s' });
  });

  it('refuses, at connection time, an address the policy forbids: a name that resolves to loopback in production never gets the request', async () => {
    const attempt = await sender(targetPolicy('production')).send(envelope, position, 1, new AbortController().signal);
    expect(attempt.outcome).toBe('FAILED');
    expect(attempt.error).toMatch(/127\.0\.0\.1.*is not allowed/);
    expect(requests).toHaveLength(0);
  });

  it('throws, recording nothing, when the runner stops mid-request', async () => {
    answer = () => undefined;
    const stopping = new AbortController();
    setTimeout(() => stopping.abort(), 50);
    await expect(sender().send(envelope, position, 1, stopping.signal)).rejects.toThrow();
  });

  it('waits longer after each failure, with jitter, up to the maximum', () => {
    const settings = { baseMs: 1_000, maxMs: 600_000 };
    expect([1, 2, 3, 4].map((attempt) => retryDelay(attempt, settings, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(retryDelay(1, settings, () => 0)).toBe(500);
    expect(retryDelay(30, settings, () => 1)).toBe(600_000);
  });
});
