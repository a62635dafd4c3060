import type { NestExpressApplication } from '@nestjs/platform-express';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import request from 'supertest';
import type { Recorded } from '../src/write/event-store/event-store.port.js';
import { expectedLink, GENESIS_HASH } from '../src/write/event-store/log-hash.js';
import type { Seal } from '../src/write/event-store/log-seal.js';
import { startApp } from './support/app.js';
import { bearer } from './support/auth.js';
import { publishedEvent, type SeatOfVenue } from './support/catalog.js';
import { createTestDatabase } from './support/database.js';
import { wholeLog } from './support/event-log.js';
import { eventStoreEnv, itOnPostgresStore } from './support/event-store.js';
import { eventually } from './support/eventually.js';

/**
 * `eventix seal` and `verify --log --seal` (docs/privacy.md), run as processes (dist/src/cli.js) against
 * a live service's store, as test/cli.e2e.spec.ts runs the CLI. The point: a tail rewritten with the
 * chain recomputed passes `verify --log`, and fails against a seal made before it.
 */
const run = promisify(execFile);
const keyPair = () => generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

describe('eventix seal and verify --log --seal', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestExpressApplication;
  let sql: Client;
  let seats: SeatOfVenue[];
  let eventId: string;
  let confirmedBookingId: string;
  let nextSeat = 0;
  const dir = mkdtempSync(join(tmpdir(), 'eventix-seal-'));
  const operator = keyPair();
  const stranger = keyPair();
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  const operatorPublicKey = file('operator.pub.pem', operator.publicKey);
  const strangerPublicKey = file('stranger.pub.pem', stranger.publicKey);

  /** The CLI with the operator's signing key unless `env` says otherwise. */
  const eventix = async (args: string[], env: Record<string, string> = { SEAL_SIGNING_KEY: operator.privateKey }) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['dist/src/cli.js', ...args], {
        env: { PATH: process.env.PATH!, DATABASE_URL: database.url, ...eventStoreEnv(database.url), ...env },
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  let seals = 0;
  const sealNow = async (env?: Record<string, string>) => {
    const out = join(dir, `seal-${++seals}.json`);
    const made = await eventix(['seal', '--out', out], env);
    expect({ code: made.code, stderr: made.code === 0 ? '' : made.stderr }).toEqual({ code: 0, stderr: '' });
    return { file: out, seal: JSON.parse(readFileSync(out, 'utf8')) as Seal, stdout: made.stdout };
  };
  /** As an auditor runs it: with the public key they were given, not the one inside the seal. */
  const verifyAgainst = (sealFile: string, publicKey = operatorPublicKey) => eventix(['verify', '--log', '--seal', sealFile, '--public-key', publicKey], {});
  const book = async (user: string) => {
    const booked = await request(app.getHttpServer()).post('/bookings').set('authorization', await bearer(user)).send({ eventId, seatIds: [seats[nextSeat++].seatId] }).expect(201);
    return booked.body.id as string;
  };
  const streamEvents = async (stream: string) => (await wholeLog(database.url)).filter((event) => event.streamName === stream);

  beforeAll(async () => {
    database = await createTestDatabase('seal');
    app = await startApp({ DATABASE_URL: database.url });
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    ({ eventId, seats } = await publishedEvent(app, 2, 10));
    confirmedBookingId = await book('auth0|alice');
    const alice = await bearer('auth0|alice');
    await request(app.getHttpServer()).post(`/bookings/${confirmedBookingId}/payments`).set('authorization', alice).send({ paymentMethod: 'pm_card_visa' }).expect(202);
    await eventually(async () => (await streamEvents(`booking-${confirmedBookingId}`)).some((e) => e.type === 'BookingConfirmed') || undefined, 10_000, 'the confirmation');
    for (const fan of ['auth0|bob', 'auth0|carol']) await book(fan);
  });
  afterAll(async () => {
    await sql?.end();
    await app?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers --help for seal and seal-key, and refuses --seal without --log', async () => {
    const [seal, sealKey] = await Promise.all([eventix(['seal', '--help']), eventix(['seal-key', '--help'])]);
    expect([seal.code, sealKey.code]).toEqual([0, 0]);
    expect(sealKey.stdout).toMatch(/SEAL_SIGNING_KEY[\s\S]*auditors/);
    const { file: sealFile } = await sealNow();
    expect((await eventix(['verify', '--seal', sealFile])).code).toBe(2);
    expect((await eventix(['verify', '--public-key', operatorPublicKey])).code).toBe(2);
  });

  it("seals every stream's last event, signed; verify --log --seal accepts it, and still does after more bookings", async () => {
    const printed = await eventix(['seal']);
    expect(printed.code).toBe(0);
    const seal = JSON.parse(printed.stdout) as Seal;
    // Up to its position: a read of the store leaves out what a transaction still open anywhere on the
    // server may precede (STYLE.md §3), so the seal need not reach the table's last row.
    const covered = (await wholeLog(database.url)).filter((e) => e.position <= seal.position!);
    expect(seal).toEqual({
      version: 1,
      algorithm: 'Ed25519',
      sealedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      position: covered.at(-1)!.position,
      events: covered.length,
      streams: new Set(covered.map((e) => e.streamName)).size,
      merkleRoot: expect.stringMatching(/^[0-9a-f]{64}$/),
      publicKey: operator.publicKey.split('\n')[1], // the body of the operator's PEM
      signature: expect.any(String),
    });

    const { file: sealFile, seal: written, stdout } = await sealNow();
    expect(stdout).toBe(`seal: ${written.events} events in ${written.streams} streams up to ${written.position} sealed in ${sealFile}\n`);
    const checked = await verifyAgainst(sealFile);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain(`verify --log: the log up to ${written.position} matches the seal of ${written.sealedAt}\n`);
    expect(checked.stdout).toMatch(/every chain intact/);
    // Without --public-key: the public half of the configured signing key.
    expect((await eventix(['verify', '--log', '--seal', sealFile])).code).toBe(0);

    await book('auth0|dave');
    expect((await verifyAgainst(sealFile)).code).toBe(0);
  });

  it('rejects a seal edited by hand, one checked with another public key, and one signed with another key', async () => {
    const { file: sealFile, seal } = await sealNow();
    const edited = file('edited.json', JSON.stringify({ ...seal, merkleRoot: 'f'.repeat(64) }));
    const forged = await verifyAgainst(edited);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toContain('verify --log: SEAL REJECTED: its signature does not hold with the public key you trust');

    const otherKey = await verifyAgainst(sealFile, strangerPublicKey);
    expect(otherKey.code).toBe(1);
    expect(otherKey.stdout).toContain('SEAL REJECTED: signed with the key');

    // A true statement of the log, signed with a key the auditor was never given.
    const { file: strangers } = await sealNow({ SEAL_SIGNING_KEY: stranger.privateKey });
    expect((await verifyAgainst(strangers, strangerPublicKey)).code).toBe(0);
    expect((await verifyAgainst(strangers)).code).toBe(1);
  });

  it('says how to make a key when seal has none; seal-key’s output signs, from the environment, a file or --key', async () => {
    const none = await eventix(['seal'], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('eventix: no key to sign the seal with. Make a pair with `eventix seal-key`');
    expect(none.stderr).toContain('SEAL_SIGNING_KEY');
    const noTrust = await eventix(['verify', '--log', '--seal', (await sealNow()).file], {});
    expect(noTrust.code).toBe(2);
    expect(noTrust.stderr).toContain('the public key you trust');
    expect((await eventix(['seal'], { SEAL_SIGNING_KEY: stranger.publicKey })).code).toBe(2); // a public key cannot sign

    const made = await eventix(['seal-key'], {});
    expect(made.code).toBe(0);
    const [privateKey, publicKey] = made.stdout.match(/-----BEGIN [A-Z ]+-----\n[^-]+-----END [A-Z ]+-----\n/g)!;
    expect([privateKey, publicKey].map((block) => block.split('\n')[0])).toEqual(['-----BEGIN PRIVATE KEY-----', '-----BEGIN PUBLIC KEY-----']);
    const keyFile = file('made.pem', privateKey);
    const auditorCopy = file('made.pub.pem', publicKey);
    await Promise.all(
      ([{ SEAL_SIGNING_KEY: privateKey }, { SEAL_SIGNING_KEY: made.stdout }, { SEAL_SIGNING_KEY_FILE: keyFile }] as Record<string, string>[]).map(async (env) => {
        const { file: sealFile } = await sealNow(env);
        expect({ env, code: (await verifyAgainst(sealFile, auditorCopy)).code }).toEqual({ env, code: 0 });
      }),
    );
    const withFlag = join(dir, 'with-flag.json');
    expect((await eventix(['seal', '--key', keyFile, '--out', withFlag], {})).code).toBe(0);
    expect((await verifyAgainst(withFlag, auditorCopy)).code).toBe(0);
  }, 120_000);

  itOnPostgresStore('catches a tail rewritten with its hashes recomputed, which the chains alone cannot', 'it rewrites rows of the PostgreSQL store; EventStoreDB offers no way to alter a written event', async () => {
    const { file: sealFile } = await sealNow();
    // Someone with write access to the store, who knows the public recipe (docs/audit-log.md):
    // the booking's price rewritten, its hash and every later one of the stream recomputed, the head moved along.
    const stream = `booking-${confirmedBookingId}`;
    let previous = GENESIS_HASH;
    const original = await streamEvents(stream);
    expect(original.map((e) => e.type)).toEqual(['BookingPlaced', 'BookingConfirmed']);
    for (const event of original) {
      const data = event.type === 'BookingPlaced' ? { ...event.data, totalMinor: 1 } : event.data;
      previous = expectedLink(stream, previous, { ...event, data });
      await sql.query(
        `UPDATE eventstore.events SET data = $3::jsonb, metadata = jsonb_set(metadata, '{hash}', to_jsonb($4::text)) WHERE stream_name = $1 AND stream_revision = $2`,
        [stream, String(event.revision), JSON.stringify(data), previous],
      );
    }
    await sql.query(`UPDATE eventstore.streams SET last_hash = $2 WHERE stream_name = $1`, [stream, previous]);
    expect((await streamEvents(stream)).map((e) => (e.data as { totalMinor?: number }).totalMinor)).toEqual([1, undefined]);

    const chains = await eventix(['verify', '--log']);
    expect(chains.code).toBe(0);
    expect(chains.stdout).toMatch(/every chain intact/);

    const sealed = await verifyAgainst(sealFile);
    expect(sealed.code).toBe(1);
    expect(sealed.stdout).toMatch(/verify --log: SEAL MISMATCH up to \S+ \(the seal of \S+\): the streams' last events differ from the sealed ones \(Merkle root [0-9a-f]{64}, the seal's [0-9a-f]{64}\)\n/);
    expect(sealed.stdout).toMatch(/every chain intact/); // the chains still hold: only the seal tells
    // From now on, seals made after the rewrite agree with the log as it is.
    expect((await verifyAgainst((await sealNow()).file)).code).toBe(0);
  }, 120_000);

  itOnPostgresStore("catches a sealed stream's last event deleted, in the middle of the log or at its end", 'it deletes rows of the PostgreSQL store; EventStoreDB offers no way to remove one event', async () => {
    /** Deletes a stream's events from `event` on and moves its head back, as a careful intruder would: every chain still holds. */
    const cutFrom = async (event: Recorded) => {
      const kept = (await streamEvents(event.streamName)).filter((e) => e.revision < event.revision);
      await sql.query(`DELETE FROM eventstore.events WHERE stream_name = $1 AND stream_revision >= $2`, [event.streamName, String(event.revision)]);
      const head = kept.at(-1);
      if (head) await sql.query(`UPDATE eventstore.streams SET revision = $2, last_hash = $3 WHERE stream_name = $1`, [event.streamName, String(head.revision), head.metadata.hash]);
      else await sql.query(`DELETE FROM eventstore.streams WHERE stream_name = $1`, [event.streamName]);
    };

    const { file: first, seal } = await sealNow();
    const payment = (await wholeLog(database.url)).find((e) => e.type === 'PaymentSucceeded')!;
    expect((await streamEvents(payment.streamName)).at(-1)).toEqual(payment); // its stream's last event
    await cutFrom(payment);
    expect((await eventix(['verify', '--log'])).code).toBe(0);
    const inTheMiddle = await verifyAgainst(first);
    expect(inTheMiddle.code).toBe(1);
    expect(inTheMiddle.stdout).toContain('SEAL MISMATCH');
    expect(inTheMiddle.stdout).toContain(`${seal.events - 1} events, the seal covers ${seal.events}`);

    // The last event the next seal covers, and whatever came after it (not sealed): the log now ends before the seal's position.
    const { file: second, seal: next } = await sealNow();
    const firstCut = new Map<string, Recorded>();
    for (const event of (await wholeLog(database.url)).filter((e) => e.position >= next.position!)) if (!firstCut.has(event.streamName)) firstCut.set(event.streamName, event);
    expect([...firstCut.values()][0].position).toBe(next.position);
    for (const event of firstCut.values()) await cutFrom(event);
    expect((await eventix(['verify', '--log'])).code).toBe(0);
    const atTheEnd = await verifyAgainst(second);
    expect(atTheEnd.code).toBe(1);
    // Either the log ends before the seal's position, or the running service (its reactors) appended an event
    // meanwhile, which takes the pass past that position again: the cut then shows as fewer events than sealed.
    expect(atTheEnd.stdout).toMatch(new RegExp(`SEAL MISMATCH .*(the log ends at \\S+, before the seal's position|${next.events - firstCut.size} events, the seal covers ${next.events})`));
  }, 120_000);
});
