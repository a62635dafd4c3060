import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';

/**
 * Personal data in the log (docs/privacy.md). The one personal datum events hold is a user id — the
 * token's `sub`, of a buyer, an organiser or a gate's staff — in `metadata.userId` (who acted) and
 * `data.userId` (whose booking, payment or seats). It is stored as a *encrypted id*:
 *
 *   pii:1:<subject>:<base64url(iv ‖ AES-256-GCM ciphertext ‖ tag)>
 *
 * `subject` is a random UUID that names the user's key in `privacy.user_keys`; the ciphertext is
 * the user id under that key. Destroying the key (an erasure) leaves the encrypted id in the log, where
 * the hash chain covers it, and makes it unreadable: readers show `erased:<subject>` or `[erased]`.
 *
 * The IV is derived from the key and the plaintext (HMAC-SHA256, first 96 bits), so one user's id
 * encrypts to the same string every time: deciders compare owners, and ids are derived from encrypted ids,
 * as they compared and derived plain ones. A key only ever encrypts its own user's id, so one key never
 * sees two plaintexts under one IV (GCM's one rule).
 */
const PREFIX = 'pii:1:';
const ENCRYPTED = /^pii:1:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([A-Za-z0-9_-]+)$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What a reader shows for an erased user: in read models and API answers, and in histories, audits and exports. */
export const erasedUserId = (subject: string) => `erased:${subject}`;
export const ERASED = '[erased]';

export const isEncrypted = (value: unknown): value is string => typeof value === 'string' && value.startsWith(PREFIX);

/** The subject an encrypted id names, or undefined when the value is not an encrypted id. */
export const subjectOf = (value: unknown): string | undefined => (isEncrypted(value) ? ENCRYPTED.exec(value)?.[1] : undefined);

/** The subject's own additional data: an encrypted id cut from one subject and pasted under another does not open. */
const aad = (subject: string) => Buffer.from(`eventix user id of ${subject}`, 'utf8');

export const encryptUserId = (subject: string, key: Buffer, userId: string): string => {
  const iv = createHmac('sha256', key).update(`iv\n${userId}`, 'utf8').digest().subarray(0, IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad(subject));
  const encrypted = Buffer.concat([iv, cipher.update(userId, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}${subject}:${encrypted.toString('base64url')}`;
};

/** The user id an encrypted id holds; throws if it was not encrypted under this key (or was altered). */
export const decryptUserId = (encrypted: string, key: Buffer): string => {
  const [, subject, body] = ENCRYPTED.exec(encrypted) ?? [];
  if (!subject) throw new Error('Not an encrypted user id');
  const bytes = Buffer.from(body, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES)).setAAD(aad(subject));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
};

/** An event's fields that may hold a user id: `data.userId` and `metadata.userId`. */
type Personal = { data: object; metadata: object };

/** The subjects an event's encrypted ids name. */
export const subjectsIn = (event: Personal): string[] => {
  const found: string[] = [];
  for (const value of [(event.data as { userId?: unknown }).userId, (event.metadata as { userId?: unknown }).userId]) {
    const subject = subjectOf(value);
    if (subject) found.push(subject);
  }
  return found;
};

/**
 * The event with its encrypted ids opened by `open` (plain user ids, or what a reader shows for an
 * erased user); the same object when it holds none. Plain ids (events from before #22, and system
 * actors such as `system:refunds`) pass as they are.
 */
export const withUserIds = <E extends Personal>(event: E, open: (encrypted: string) => string): E => {
  const dataId = (event.data as { userId?: unknown }).userId;
  const metaId = (event.metadata as { userId?: unknown }).userId;
  if (!isEncrypted(dataId) && !isEncrypted(metaId)) return event;
  return {
    ...event,
    data: isEncrypted(dataId) ? { ...event.data, userId: open(dataId) } : event.data,
    metadata: isEncrypted(metaId) ? { ...event.metadata, userId: open(metaId) } : event.metadata,
  };
};
