import http from 'node:http';
import https from 'node:https';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { signWebhook } from '../../write/payment/webhook-signature.js';
import { agentOptions, type TargetPolicy } from '../../write/webhooks/webhook-target.js';
import type { IntegrationEvent } from '../integration-events.js';

export type Attempt = { outcome: 'DELIVERED' | 'FAILED'; statusCode: number | null; error: string | null; attemptedAt: Date; durationMs: number };

/** What of a failing answer's body is kept for the deliveries list: enough to see the endpoint's complaint. */
const KEPT_BODY_CHARACTERS = 300;

export type SenderSettings = { url: string; secret: string; policy: TargetPolicy; concurrency: number; timeoutMs: number };

/**
 * POSTs integration events to one subscription's endpoint, signed with its secret, on connections of
 * its own (at most `concurrency`, kept alive): one endpoint's slowness never holds another's sockets.
 * Redirects are not followed (a 3xx is a failure): a redirect could lead anywhere.
 */
export class WebhookSender {
  private readonly url: URL;
  private readonly agent: http.Agent;

  constructor(private readonly settings: SenderSettings) {
    this.url = new URL(settings.url);
    const options = { keepAlive: true, maxSockets: settings.concurrency, ...agentOptions(settings.policy) };
    this.agent = this.url.protocol === 'https:' ? new RequestFilteringHttpsAgent(options) : new RequestFilteringHttpAgent(options);
  }

  /** One attempt; throws only when `signal` aborts it (the runner stops), so that nothing is recorded then. */
  async send(envelope: IntegrationEvent, position: string, attempt: number, signal: AbortSignal): Promise<Attempt> {
    const body = JSON.stringify(envelope);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Eventix-Webhooks/1',
      'eventix-event-id': envelope.id,
      'eventix-event-type': envelope.type,
      'eventix-position': position,
      'eventix-delivery-attempt': String(attempt),
      // Signed last, just before it goes: the receiver refuses signatures older than five minutes.
      'eventix-signature': signWebhook(body, this.settings.secret),
    };
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    const attemptedAt = new Date();
    const started = performance.now();
    const finished = (outcome: Attempt['outcome'], statusCode: number | null, error: string | null): Attempt =>
      ({ outcome, statusCode, error, attemptedAt, durationMs: Math.round(performance.now() - started) });
    try {
      const { statusCode, text } = await this.post(body, headers, AbortSignal.any([signal, timeout]));
      if (statusCode >= 200 && statusCode < 300) return finished('DELIVERED', statusCode, null);
      return finished('FAILED', statusCode, `HTTP ${statusCode}${text ? `: ${text}` : ''}`);
    } catch (error) {
      if (signal.aborted) throw error;
      const reason = timeout.aborted ? `no answer within ${this.settings.timeoutMs / 1000} s` : (error as Error).message;
      return finished('FAILED', null, reason);
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private post(body: string, headers: Record<string, string>, signal: AbortSignal): Promise<{ statusCode: number; text: string }> {
    return new Promise((resolve, reject) => {
      const send = this.url.protocol === 'https:' ? https.request : http.request;
      const request = send(this.url, { method: 'POST', agent: this.agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) }, signal }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (text.length < KEPT_BODY_CHARACTERS) text += chunk.slice(0, KEPT_BODY_CHARACTERS - text.length);
        });
        response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, text: text.replace(/\s+/g, ' ').trim() }));
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    });
  }
}
