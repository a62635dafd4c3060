import { refuseTarget, targetPolicy } from './webhook-target.js';

const production = targetPolicy('production');
const development = targetPolicy('development');
/** DNS as a test says it answers: no network needed. */
const dns = (answers: Record<string, string[]>) => async (host: string) => {
  if (!answers[host]) throw new Error('ENOTFOUND');
  return answers[host];
};
const names = dns({
  'hooks.example': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'rebind.example': ['93.184.216.34', '10.1.2.3'],
  'internal.example': ['192.168.0.10'],
  localhost: ['127.0.0.1', '::1'],
});

describe('where webhooks may go', () => {
  it.each([
    ['https://hooks.example/in', undefined],
    ['https://93.184.216.34:8443/in', undefined],
    ['https://[2606:2800:220:1:248:1893:25c8:1946]/in', undefined],
    ['http://hooks.example/in', /must be an https URL/],
    ['https://localhost/in', /127\.0\.0\.1 is not a public address \(loopback\)/],
    ['https://127.0.0.1/in', /loopback/],
    ['https://[::1]/in', /loopback/],
    ['https://internal.example/in', /192\.168\.0\.10 is not a public address \(private\)/],
    ['https://rebind.example/in', /10\.1\.2\.3 is not a public address/], // one private address among public ones is enough
    ['https://169.254.169.254/latest/meta-data/', /linkLocal/],
    ['https://100.64.0.1/', /carrierGradeNat/],
    ['https://[fd00::1]/', /uniqueLocal/],
    ['https://[::ffff:10.0.0.1]/', /10\.0\.0\.1 is not a public address \(private\)/],
    ['https://0.0.0.0/', /unspecified/],
    ['https://224.0.0.1/', /multicast/],
    ['https://nowhere.example/', /does not resolve/],
    ['https://user:pw@hooks.example/', /user name or password/],
    ['ftp://hooks.example/', /must be an https URL, got ftp/],
    ['not a url', /absolute/],
  ])('in production, %s: %s', async (url, refusal) => {
    const refused = await refuseTarget(url, production, names);
    if (refusal) expect(refused).toMatch(refusal);
    else expect(refused).toBeUndefined();
  });

  it.each([
    ['http://localhost:3100/in', undefined],
    ['http://127.0.0.1:3100/in', undefined],
    ['https://hooks.example/in', undefined],
    ['http://internal.example/in', /private/],
    ['http://169.254.169.254/', /linkLocal/],
  ])('outside production, loopback too: %s', async (url, refusal) => {
    const refused = await refuseTarget(url, development, names);
    if (refusal) expect(refused).toMatch(refusal);
    else expect(refused).toBeUndefined();
  });
});
