import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Received = { headers: IncomingHttpHeaders; raw: string; body: { id: string; type: string; subject: string; time: string; data: Record<string, unknown> }; at: number; status: number };

/** How the endpoint answers a request: a status (after `delayMs`), or 'hang' (never answers). */
export type Answer = { status: number; delayMs?: number } | 'hang';

/**
 * A real HTTP endpoint that webhooks are sent to, on 127.0.0.1, answering as `answer` says. Every
 * request is kept, with its raw body and the status it got: `delivered` are those answered 2xx.
 */
export const webhookReceiver = async (answer: (request: Received, index: number) => Answer = () => ({ status: 200 }), port = 0) => {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  let respond = answer;
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const entry: Received = { headers: request.headers, raw, body: JSON.parse(raw), at: Date.now(), status: 0 };
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      response.on('close', () => inFlight--);
      const how = respond(entry, received.length);
      received.push(entry);
      if (how === 'hang') {
        hanging.add(response);
        return;
      }
      setTimeout(() => {
        entry.status = how.status;
        response.writeHead(how.status, { 'content-type': 'text/plain' }).end(how.status < 300 ? 'ok' : 'Service Unavailable\n  try later');
      }, how.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/hooks`,
    port: bound,
    received,
    /** The most requests it had unanswered at once. */
    maxInFlight: () => maxInFlight,
    delivered: () => received.filter((r) => r.status >= 200 && r.status < 300),
    answer: (next: typeof answer) => (respond = next),
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
export type WebhookReceiver = Awaited<ReturnType<typeof webhookReceiver>>;
