import { createPrivateKey, createPublicKey, generateKeyPairSync, hash, type KeyObject, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { normalizePosition, type Position } from './event-store.port.js';
import { canonicalJson, GENESIS_HASH } from './log-hash.js';

/**
 * Signed seals of the hash-chained log (docs/privacy.md, "Seals"). A chain's recipe is public, so
 * whoever can write the store can rewrite a stream's tail and hash it again consistently. A seal
 * pins every stream's last event as of a position in one Merkle root and signs it with Ed25519;
 * once a copy has left the operator's hands, a rewrite of anything it covers no longer matches it.
 *
 *   leaf(head)  = sha256(0x00 || utf8(canonical_json({ streamName, revision, hash })))   revision: a JSON number
 *   node(l, r)  = sha256(0x01 || l || r)                                                l, r: 32-byte digests
 *   root        = over the leaves sorted by stream name in UTF-8 byte order, level by level: neighbours
 *                 pair up, an odd last node goes up unchanged (RFC 6962's Merkle Tree Hash); the root of
 *                 one leaf is that leaf; of none, sha256 of nothing (e3b0c442…)
 *   signature   = Ed25519 over utf8(canonical_json(the seal without "signature")), base64
 *
 * The 0x00 / 0x01 prefixes keep a leaf from passing for an inner node (RFC 6962 §2.1).
 */
export type StreamHead = { revision: bigint; hash: string };

/** What a seal states about the log up to its position. */
export type LogMeasure = { events: number; streams: number; merkleRoot: string };

export type Seal = {
  version: 1;
  algorithm: 'Ed25519';
  sealedAt: string;
  /** The last event covered; null when the log held no Eventix event. */
  position: Position | null;
  /** Eventix events covered (foreign ones are no links of any chain, so no part of a seal). */
  events: number;
  streams: number;
  merkleRoot: string;
  /** The signer's public key: base64 of its SPKI DER, which is the body of its PEM. */
  publicKey: string;
  signature: string;
};

/**
 * canonical_json({ streamName, revision, hash }) written out: a million-event log has some 400,000
 * leaves, and the general canonicalJson costs several times more for each. log-seal.spec.ts holds
 * the two equal.
 */
export const leafText = (streamName: string, head: StreamHead): string =>
  `{"hash":${JSON.stringify(head.hash)},"revision":${head.revision},"streamName":${JSON.stringify(streamName)}}`;

/** 0x00 written as the text's first character: UTF-8 encodes U+0000 as that one byte. */
const leafHash = (streamName: string, head: StreamHead): Buffer => hash('sha256', `\u0000${leafText(streamName, head)}`, 'buffer');

const pair = Buffer.alloc(65, 0x01);
const nodeHash = (left: Buffer, right: Buffer): Buffer => {
  pair.set(left, 1);
  pair.set(right, 33);
  return hash('sha256', pair, 'buffer');
};

// UTF-8 byte order is code point order, and JavaScript's string order (UTF-16 units, sort's default)
// agrees with it unless a name holds a character beyond U+FFFF: only then are the bytes compared.
const ASTRAL = /[\uD800-\uDFFF]/;
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** The root over the heads of `names`, each a key of `heads`. */
const rootOf = (names: string[], heads: ReadonlyMap<string, StreamHead>): string => {
  names.sort(names.some((name) => ASTRAL.test(name)) ? byteOrder : undefined);
  let level = names.map((name) => leafHash(name, heads.get(name)!));
  if (level.length === 0) return hash('sha256', '', 'hex');
  while (level.length > 1) {
    const up: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) up.push(i + 1 < level.length ? nodeHash(level[i], level[i + 1]) : level[i]);
    level = up;
  }
  return level[0].toString('hex');
};

export const merkleRoot = (heads: ReadonlyMap<string, StreamHead>): string => rootOf([...heads.keys()], heads);

/** The seal's figures of the heads of a pass over the log; a stream that holds only foreign events has none. */
export const measureLog = (heads: ReadonlyMap<string, StreamHead>, events: number): LogMeasure => {
  const sealed = [...heads.keys()].filter((name) => heads.get(name)!.hash !== GENESIS_HASH);
  return { events, streams: sealed.length, merkleRoot: rootOf(sealed, heads) };
};

const publicKeyText = (key: KeyObject): string =>
  (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' }).toString('base64');

const statementBytes = (statement: Omit<Seal, 'signature'>) => Buffer.from(canonicalJson(statement), 'utf8');

export const sealLog = (position: Position | null, measure: LogMeasure, key: KeyObject, sealedAt: Date): Seal => {
  const statement = { version: 1 as const, algorithm: 'Ed25519' as const, sealedAt: sealedAt.toISOString(), position, ...measure, publicKey: publicKeyText(key) };
  return { ...statement, signature: sign(null, statementBytes(statement), key).toString('base64') };
};

const isCount = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;

const isSeal = (value: unknown): value is Seal => {
  const seal = value as Partial<Record<keyof Seal, unknown>> | null;
  return typeof seal === 'object' && seal !== null && seal.version === 1 && seal.algorithm === 'Ed25519' &&
    typeof seal.sealedAt === 'string' && (seal.position === null || (typeof seal.position === 'string' && normalizePosition(seal.position) === seal.position)) &&
    isCount(seal.events) && isCount(seal.streams) && typeof seal.merkleRoot === 'string' && /^[0-9a-f]{64}$/.test(seal.merkleRoot) &&
    typeof seal.publicKey === 'string' && typeof seal.signature === 'string';
};

/**
 * Whether a seal was signed, as it reads, by the key the checker trusts. The key named inside the
 * seal proves nothing on its own: whoever rewrote the log could sign a new seal with a key of theirs.
 */
export const checkSeal = (value: unknown, trustedKey: KeyObject): { trusted: true; seal: Seal } | { trusted: false; reason: string } => {
  if (!isSeal(value)) return { trusted: false, reason: 'not a seal of version 1 (eventix seal writes them)' };
  const { signature, ...statement } = value;
  if (statement.publicKey !== publicKeyText(trustedKey)) {
    return { trusted: false, reason: `signed with the key ${statement.publicKey}, not the one you trust (${publicKeyText(trustedKey)})` };
  }
  if (!verify(null, statementBytes(statement), trustedKey, Buffer.from(signature, 'base64'))) {
    return { trusted: false, reason: 'its signature does not hold with the public key you trust: the seal was changed after it was signed' };
  }
  return { trusted: true, seal: value };
};

/**
 * A trusted seal checked during one pass over the log, in order, that keeps only its heads: call
 * `passing` before each event (foreign ones too) and `end` after the last. The heads are measured
 * once, as they stand at the first event past the seal's position, or at the end of the log.
 * Events appended after the seal change nothing.
 */
export const sealCheck = (seal: Seal, measureNow: () => LogMeasure) => {
  let differences: string[] | undefined;
  let lastRead: Position | undefined;
  const compare = (reached: boolean): string[] => {
    const measured = measureNow();
    return [
      ...(reached ? [] : [`the log ends at ${lastRead ?? 'its start'}, before the seal's position (events were removed from its end)`]),
      ...(measured.merkleRoot === seal.merkleRoot ? [] : [`the streams' last events differ from the sealed ones (Merkle root ${measured.merkleRoot}, the seal's ${seal.merkleRoot})`]),
      ...(measured.events === seal.events ? [] : [`${measured.events} events, the seal covers ${seal.events}`]),
      ...(measured.streams === seal.streams ? [] : [`${measured.streams} streams, the seal covers ${seal.streams}`]),
    ];
  };
  return {
    passing: (position: Position) => {
      if (!differences && (seal.position === null || position > seal.position)) differences = compare(true);
      lastRead = position;
    },
    /** What differs from the seal; nothing when the log up to its position is the one sealed. */
    end: (): string[] => (differences ??= compare(seal.position === null || (lastRead !== undefined && lastRead >= seal.position))),
  };
};

/** What an operator or auditor gave is not usable (no key, a file that is not a key): a usage error. */
export class SealInputError extends Error {
  override name = 'SealInputError';
}

export const NO_SIGNING_KEY =
  'no key to sign the seal with. Make a pair with `eventix seal-key`; give its private key as SEAL_SIGNING_KEY (the PEM), ' +
  'as a file named by SEAL_SIGNING_KEY_FILE, or with --key FILE, and its public key to your auditors (docs/privacy.md).';

const readText = (file: string, what: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new SealInputError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  }
};

const ed25519Key = (parse: (pem: string) => KeyObject, pem: string, where: string): KeyObject => {
  let key: KeyObject;
  try {
    key = parse(pem);
  } catch (error) {
    throw new SealInputError(`${where} holds no key that node:crypto can read (a PEM; eventix seal-key makes one): ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SealInputError(`${where} holds a ${key.asymmetricKeyType} key, not Ed25519 (eventix seal-key makes one)`);
  return key;
};

/**
 * The private key that signs seals: `--key FILE`, else SEAL_SIGNING_KEY (the PEM itself), else the
 * file SEAL_SIGNING_KEY_FILE names; undefined when none is given.
 */
export const loadSigningKey = (given: { keyFile?: string; pem?: string; pemFile?: string }): KeyObject | undefined => {
  if (given.keyFile) return ed25519Key(createPrivateKey, readText(given.keyFile, 'the key file'), given.keyFile);
  // An env file often holds a PEM on one line, its line breaks written as \n.
  if (given.pem) return ed25519Key(createPrivateKey, given.pem.replace(/\\n/g, '\n'), 'SEAL_SIGNING_KEY');
  if (given.pemFile) return ed25519Key(createPrivateKey, readText(given.pemFile, 'SEAL_SIGNING_KEY_FILE'), given.pemFile);
  return undefined;
};

/** An auditor's copy of the public key (PEM, SPKI). */
export const loadPublicKey = (file: string): KeyObject => ed25519Key(createPublicKey, readText(file, 'the public key file'), file);

/** A new pair for `eventix seal-key`: the private key as PKCS#8 PEM, the public one as SPKI PEM. */
export const newSealKeyPair = (): { privateKey: string; publicKey: string } =>
  generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
