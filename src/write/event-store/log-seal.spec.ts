import fc from 'fast-check';
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Position, toPosition } from './event-store.port.js';
import { canonicalJson, GENESIS_HASH } from './log-hash.js';
import { checkSeal, leafText, loadPublicKey, loadSigningKey, measureLog, merkleRoot, newSealKeyPair, sealCheck, SealInputError, sealLog, type StreamHead } from './log-seal.js';

// The recipe of log-seal.ts and docs/privacy.md, written out again with nothing but sha256.
const sha256 = (...parts: (Buffer | string)[]) => parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest();
const leaf = (streamName: string, revision: number, hash: string) =>
  sha256(Buffer.from([0]), `{"hash":${JSON.stringify(hash)},"revision":${revision},"streamName":${JSON.stringify(streamName)}}`);
const node = (left: Buffer, right: Buffer) => sha256(Buffer.from([1]), left, right);
/** RFC 6962 §2.1 as written: split at the largest power of two below n. */
const rfc6962 = (leaves: Buffer[]): Buffer => {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return node(rfc6962(leaves.slice(0, k)), rfc6962(leaves.slice(k)));
};

const head = (revision: number, hash: string): StreamHead => ({ revision: BigInt(revision), hash });
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const heads = fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.nat(1_000), hex64), { minLength: 1, maxLength: 40, selector: ([name]) => name });
const asHeads = (list: [string, number, string][]) => new Map(list.map(([name, revision, hash]) => [name, head(revision, hash)]));
const headsOf = (...entries: [string, StreamHead][]) => new Map(entries);

describe('merkleRoot', () => {
  it('is sha256 of nothing for a log without streams', () => {
    expect(merkleRoot(new Map())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('is the leaf itself for one stream', () => {
    expect(merkleRoot(headsOf(['booking-1', head(3, 'a'.repeat(64))]))).toBe(leaf('booking-1', 3, 'a'.repeat(64)).toString('hex'));
  });

  it('follows the documented recipe on a small log (the literal computed with Python hashlib and json)', () => {
    const root = merkleRoot(headsOf(['payment-9', head(2, 'c'.repeat(64))], ['booking-1', head(1, 'a'.repeat(64))], ['event-5', head(0, 'b'.repeat(64))]));
    const byHand = node(node(leaf('booking-1', 1, 'a'.repeat(64)), leaf('event-5', 0, 'b'.repeat(64))), leaf('payment-9', 2, 'c'.repeat(64)));
    expect(root).toBe(byHand.toString('hex'));
    expect(root).toBe('debf49cbbd7c4a41e9b9d2910c398230058b6ff83f203a2fa1c7561d99acd104');
  });

  it("is RFC 6962's Merkle Tree Hash over the leaves in stream-name order, for any number of streams", () => {
    fc.assert(
      fc.property(heads, (list) => {
        const sorted = [...list].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(merkleRoot(asHeads(list))).toBe(rfc6962(sorted.map(([name, revision, hash]) => leaf(name, revision, hash))).toString('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('orders names by UTF-8 bytes, where UTF-16 order differs (a character beyond U+FFFF)', () => {
    const [bmp, astral] = ['s-\uFFFD', 's-\u{1F600}']; // UTF-8 EF BF BD before F0 9F 98 80; UTF-16 FFFD after D83D
    const root = merkleRoot(headsOf([astral, head(0, 'a'.repeat(64))], [bmp, head(0, 'b'.repeat(64))]));
    expect(root).toBe(node(leaf(bmp, 0, 'b'.repeat(64)), leaf(astral, 0, 'a'.repeat(64))).toString('hex'));
  });

  it('does not depend on the order the heads come in', () => {
    fc.assert(
      fc.property(heads.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length }))), ([list, shuffled]) => {
        expect(merkleRoot(asHeads(shuffled))).toBe(merkleRoot(asHeads(list)));
      }),
      { numRuns: 300 },
    );
  });

  it("changes when any stream's last hash or revision changes, or a stream is added or removed", () => {
    fc.assert(
      fc.property(heads, fc.nat(), hex64, (list, pick, otherHash) => {
        const root = merkleRoot(asHeads(list));
        const i = pick % list.length;
        const [name, revision, hash] = list[i];
        const changed = (entry: [string, number, string]) => asHeads(list.map((e, j) => (j === i ? entry : e)));
        if (otherHash !== hash) expect(merkleRoot(changed([name, revision, otherHash]))).not.toBe(root);
        expect(merkleRoot(changed([name, revision + 1, hash]))).not.toBe(root);
        expect(merkleRoot(asHeads(list.filter((_, j) => j !== i)))).not.toBe(root);
        expect(merkleRoot(asHeads([...list, ['a name longer than any other', 0, hash]]))).not.toBe(root);
      }),
      { numRuns: 300 },
    );
  });
});

describe('leafText', () => {
  it("is canonical_json of the leaf, for any stream name, revision and hash", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }), fc.string(), (streamName, revision, hash) => {
        expect(leafText(streamName, { revision, hash })).toBe(canonicalJson({ streamName, revision: Number(revision), hash }));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('measureLog', () => {
  it('leaves out streams that hold only foreign events (no Eventix head)', () => {
    const measure = measureLog(headsOf(['booking-1', head(1, 'a'.repeat(64))], ['erp-7', { revision: -1n, hash: GENESIS_HASH }]), 2);
    expect(measure).toEqual({ events: 2, streams: 1, merkleRoot: merkleRoot(headsOf(['booking-1', head(1, 'a'.repeat(64))])) });
  });
});

describe('a seal', () => {
  const operator = generateKeyPairSync('ed25519');
  const stranger = generateKeyPairSync('ed25519');
  const position = toPosition(812n, 42n);
  const measure = measureLog(headsOf(['booking-1', head(1, 'a'.repeat(64))]), 2);
  const seal = sealLog(position, measure, operator.privateKey, new Date('2026-12-01T00:00:00Z'));

  it('states the log and holds with the signer’s public key, which it names as the body of its PEM', () => {
    expect(seal).toEqual({ version: 1, algorithm: 'Ed25519', sealedAt: '2026-12-01T00:00:00.000Z', position, ...measure, publicKey: expect.any(String), signature: expect.any(String) });
    expect(operator.publicKey.export({ type: 'spki', format: 'pem' })).toContain(seal.publicKey);
    expect(checkSeal(JSON.parse(JSON.stringify(seal)), operator.publicKey)).toEqual({ trusted: true, seal });
    expect(checkSeal(seal, operator.privateKey)).toMatchObject({ trusted: true }); // the signing key's public half
  });

  it('fails when any field is changed, added or removed', () => {
    const changes: Record<string, unknown> = { version: 2, algorithm: 'Ed448', sealedAt: '2026-12-02T00:00:00.000Z', position: toPosition(812n, 43n), events: 3, streams: 2, merkleRoot: 'f'.repeat(64), signature: Buffer.alloc(64).toString('base64') };
    for (const [field, value] of Object.entries(changes)) expect({ field, ...checkSeal({ ...seal, [field]: value }, operator.publicKey) }).toMatchObject({ field, trusted: false });
    expect(checkSeal({ ...seal, position: null }, operator.publicKey)).toMatchObject({ trusted: false, reason: expect.stringContaining('signature does not hold') });
    expect(checkSeal({ ...seal, note: 'hi' }, operator.publicKey)).toMatchObject({ trusted: false });
    const { merkleRoot: _, ...withoutRoot } = seal;
    expect(checkSeal(withoutRoot, operator.publicKey)).toMatchObject({ trusted: false, reason: expect.stringContaining('not a seal') });
  });

  it('fails with a key other than the trusted one, even a seal that names its own signer truly', () => {
    expect(checkSeal(seal, stranger.publicKey)).toMatchObject({ trusted: false, reason: expect.stringContaining('not the one you trust') });
    const forged = sealLog(position, measure, stranger.privateKey, new Date());
    expect(checkSeal(forged, stranger.publicKey)).toMatchObject({ trusted: true });
    expect(checkSeal(forged, operator.publicKey)).toMatchObject({ trusted: false });
    // The trusted key named inside, the stranger's signature: the signature check catches it.
    expect(checkSeal({ ...forged, publicKey: seal.publicKey }, operator.publicKey)).toMatchObject({ trusted: false, reason: expect.stringContaining('signature') });
  });
});

describe('sealCheck', () => {
  const at = (n: number) => toPosition(100n, BigInt(n));
  const sealed = { events: 2, streams: 1, merkleRoot: 'a'.repeat(64) };
  const seal = sealLog(at(2), sealed, generateKeyPairSync('ed25519').privateKey, new Date());
  /** A pass over events at positions 1..n, whose heads measure as `measures[i]` before the event at i+1. */
  const pass = (n: number, measureAt: (done: number) => typeof sealed) => {
    let done = 0;
    const check = sealCheck(seal, () => measureAt(done));
    for (let i = 1; i <= n; i++) {
      check.passing(at(i));
      done++;
    }
    return check.end();
  };

  it('agrees when the heads at the seal’s position are the sealed ones, whatever came after', () => {
    expect(pass(2, () => sealed)).toEqual([]);
    const measured: number[] = [];
    expect(pass(5, (done) => (measured.push(done), sealed))).toEqual([]);
    expect(measured).toEqual([2]); // measured once, before the first event past the position
  });

  it('names what differs: the root, the counts', () => {
    expect(pass(3, () => ({ events: 3, streams: 2, merkleRoot: 'b'.repeat(64) }))).toEqual([
      `the streams' last events differ from the sealed ones (Merkle root ${'b'.repeat(64)}, the seal's ${'a'.repeat(64)})`,
      '3 events, the seal covers 2',
      '2 streams, the seal covers 1',
    ]);
  });

  it('says when the log ends before the seal’s position', () => {
    expect(pass(1, () => sealed)).toEqual([`the log ends at ${at(1)}, before the seal's position (events were removed from its end)`]);
    expect(pass(0, () => sealed)[0]).toContain('the log ends at its start');
  });

  it('takes a seal of an empty log (no position) as covering nothing', () => {
    const empty = { ...seal, position: null, events: 0, streams: 0, merkleRoot: merkleRoot(new Map()) };
    const measure = () => measureLog(new Map(), 0);
    const check = sealCheck(empty, measure);
    check.passing(at(1) as Position);
    expect(check.end()).toEqual([]);
    expect(sealCheck(empty, measure).end()).toEqual([]);
  });
});

describe('seal keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventix-seal-keys-'));
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  const pair = newSealKeyPair();
  const other = newSealKeyPair();
  const pemOf = (key: ReturnType<typeof loadSigningKey>) => key?.export({ type: 'pkcs8', format: 'pem' });

  it('come from --key FILE, else SEAL_SIGNING_KEY, else SEAL_SIGNING_KEY_FILE', () => {
    const pem = createPrivateKey(pair.privateKey).export({ type: 'pkcs8', format: 'pem' });
    expect(pemOf(loadSigningKey({ keyFile: file('a.pem', pair.privateKey), pem: other.privateKey }))).toBe(pem);
    expect(pemOf(loadSigningKey({ pem: pair.privateKey, pemFile: file('b.pem', other.privateKey) }))).toBe(pem);
    expect(pemOf(loadSigningKey({ pemFile: file('c.pem', pair.privateKey) }))).toBe(pem);
    expect(pemOf(loadSigningKey({ pem: pair.privateKey.replace(/\n/g, '\\n') }))).toBe(pem); // one line, as env files hold it
    expect(pemOf(loadSigningKey({ pem: pair.privateKey + pair.publicKey }))).toBe(pem); // seal-key's whole output
    expect(loadSigningKey({})).toBeUndefined();
  });

  it('must be Ed25519 keys that can be read', () => {
    const ed448 = generateKeyPairSync('ed448').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(() => loadSigningKey({ pem: ed448 })).toThrow(SealInputError);
    expect(() => loadSigningKey({ pem: 'not a key' })).toThrow(SealInputError);
    expect(() => loadSigningKey({ pemFile: join(dir, 'missing.pem') })).toThrow(/cannot read SEAL_SIGNING_KEY_FILE/);
    expect(() => loadPublicKey(file('garbage.pem', 'garbage'))).toThrow(SealInputError);
  });

  it('from seal-key: its public key checks what its private key sealed', () => {
    const seal = sealLog(null, measureLog(new Map(), 0), loadSigningKey({ pem: pair.privateKey })!, new Date());
    expect(checkSeal(seal, loadPublicKey(file('pub.pem', pair.publicKey)))).toMatchObject({ trusted: true });
    expect(checkSeal(seal, loadPublicKey(file('other.pem', other.publicKey)))).toMatchObject({ trusted: false });
  });
});
