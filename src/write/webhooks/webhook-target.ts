import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { RequestFilteringAgentOptions } from 'request-filtering-agent';

/**
 * Where webhooks may go. A webhook is a request the service makes on a client's say-so, so a URL
 * must not reach what only the service can reach (SSRF): the cloud's metadata address, the
 * database, an admin port on the private network. In production only https to public addresses;
 * outside production loopback too, for a receiver on a developer's machine.
 */
export type TargetPolicy = { httpsOnly: boolean; loopback: boolean };

export const targetPolicy = (nodeEnv: string): TargetPolicy =>
  nodeEnv === 'production' ? { httpsOnly: true, loopback: false } : { httpsOnly: false, loopback: true };

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/**
 * The same rule at delivery time, applied to the address the connection is made to (after DNS,
 * on every new connection): a name that resolved to a public address when the webhook was created
 * and to a private one now (DNS rebinding) is refused then too.
 */
export const agentOptions = (policy: TargetPolicy): RequestFilteringAgentOptions => ({
  allowPrivateIPAddress: false,
  allowMetaIPAddress: false,
  allowIPAddressList: policy.loopback ? LOOPBACK : [],
});

/** Why an address is refused, or undefined. "unicast" is ipaddr.js's word for a public address. */
const refusal = (address: string, policy: TargetPolicy): string | undefined => {
  const parsed = ipaddr.process(address); // ::ffff:10.0.0.1 is 10.0.0.1
  const range = parsed.range();
  if (range === 'unicast' || (policy.loopback && range === 'loopback')) return undefined;
  return `${parsed.toString()} is not a public address (${range})`;
};

export type Resolve = (hostname: string) => Promise<string[]>;
const resolveAll: Resolve = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((found) => found.address);

/** Why a webhook URL is refused, for the 400's detail; undefined when it may be used. */
export const refuseTarget = async (text: string, policy: TargetPolicy, resolve: Resolve = resolveAll): Promise<string | undefined> => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'url must be an absolute http(s) URL';
  }
  const schemes = policy.httpsOnly ? ['https:'] : ['https:', 'http:'];
  if (!schemes.includes(url.protocol)) return `url must be ${policy.httpsOnly ? 'an https' : 'an http or https'} URL, got ${url.protocol.replace(':', '')}`;
  if (url.username || url.password) return 'url must not carry a user name or password: it is recorded in the log and shown to every webhook administrator';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      return `url's host ${host} does not resolve`;
    }
  }
  // Every address: a name with one public and one private address would reach the private one some of the time.
  for (const address of addresses) {
    const refused = refusal(address, policy);
    if (refused) return `url's host ${host} resolves to ${refused}`;
  }
  return undefined;
};
