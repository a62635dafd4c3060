import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { Environment } from '../../config.js';
import { ERASED, erasedUserId, decryptUserId, encryptUserId, subjectsIn, withUserIds } from './personal-data.js';

/** How a reader shows an erased user: `erased:<subject>` (read models, API answers, integration events) or `[erased]` (histories, audits, exports). */
export type ErasedAs = 'id' | 'mark';

/** A batch with its encrypted ids opened, and the erasure generation the keys were read at (undefined: the batch held none). */
export type Revealed<E> = { events: E[]; generation: string | undefined };

/** What projections, the rebuild and the CLI need of the keys: read user ids out of events. */
export interface UserIdReader {
  reveal<E extends { data: object; metadata: object }>(events: E[], erasedAs: ErasedAs): Promise<Revealed<E>>;
  /** Drops every key read so far: an erasure happened (another instance's NOTIFY, or a batch that lost the race with one). */
  forget(): void;
}

/** A user's subject (the opaque id encrypted ids name) and key. */
export type SubjectKey = { subject: string; key: Buffer };

/** Cross-instance: an erasure anywhere makes every instance drop the keys and encrypted ids it holds. */
export const PRIVACY_CHANNEL = 'eventix_privacy';
/** An instance that missed the NOTIFY (its listener reconnecting) encrypts with a dropped key for at most this long. */
const ENCRYPTED_ID_TTL_MS = 60_000;
const CACHE_CAPACITY = 100_000;

/**
 * The per-user keys (docs/privacy.md): `privacy.user_keys` holds, per subject, the user's AES-256
 * key wrapped (AES-256-GCM) under a key derived from PRIVACY_KEY_SECRET, and a keyed hash of the
 * user id that finds it. Neither says who the user is without the secret; an erasure clears both.
 */
@Injectable()
export class UserKeys implements UserIdReader, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(UserKeys.name);
  private readonly wrappingKey: Buffer;
  private readonly lookupKey: Buffer;
  /** user id → its encrypted id, for commands. */
  private readonly encryptedIds = new Map<string, { encrypted: string; until: number }>();
  /** subject → its key (null: erased), as of `generation`; and the ids opened with them. */
  private keys = new Map<string, Buffer | null>();
  private opened = new Map<string, string>();
  private generation: string | undefined;
  private listener?: pg.Client;
  private creator?: pg.Pool;
  /** The keys asked for since the last statement, by lookup (hex): two commands of one user's in the same instant share one. */
  private asked = new Map<string, { lookup: Buffer; waiting: { resolve: (found: SubjectKey | undefined) => void; reject: (error: unknown) => void }[] }>();
  private closed = false;

  constructor(
    private readonly db: DataSource,
    private readonly env: Environment,
  ) {
    this.wrappingKey = Buffer.from(hkdfSync('sha256', env.PRIVACY_KEY_SECRET, 'eventix', 'user keys / aes-256-gcm', 32));
    this.lookupKey = Buffer.from(hkdfSync('sha256', env.PRIVACY_KEY_SECRET, 'eventix', 'user id lookup / hmac-sha256', 32));
  }

  async onModuleInit(): Promise<void> {
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => undefined);
    await this.creator?.end();
  }

  /** The user's encrypted id, for the events of a command; the user's key is made the first time. */
  async encryptedId(userId: string): Promise<string> {
    const hit = this.encryptedIds.get(userId);
    if (hit && Date.now() < hit.until) return hit.encrypted;
    const found = await this.keyOf(this.lookup(userId));
    // No key in the answer: another instance made the user's key in the same instant (its commit was not
    // yet visible to the statement), or an erasure destroyed it; a plain read settles which.
    const encrypted = found ? encryptUserId(found.subject, found.key, userId) : await this.existingEncryptedId(userId);
    if (!encrypted) throw new Error('A user key was erased while it was being made: try again');
    this.remember(userId, encrypted);
    return encrypted;
  }

  /** The user's encrypted id if the user has a key (reads: a user who never acted owns nothing). */
  async existingEncryptedId(userId: string): Promise<string | undefined> {
    const hit = this.encryptedIds.get(userId);
    if (hit && Date.now() < hit.until) return hit.encrypted;
    const found = await this.subjectKey(userId);
    if (!found) return undefined;
    const encrypted = encryptUserId(found.subject, found.key, userId);
    this.remember(userId, encrypted);
    return encrypted;
  }

  /** The user's subject and key, found by the keyed hash of the user id. */
  async subjectKey(userId: string): Promise<SubjectKey | undefined> {
    const [row]: { subject_id: string; wrapped_key: Buffer }[] = await this.db.query(
      `SELECT subject_id, wrapped_key FROM privacy.user_keys WHERE lookup = $1 AND wrapped_key IS NOT NULL`,
      [this.lookup(userId)],
    );
    return row && { subject: row.subject_id, key: this.unwrap(row.subject_id, row.wrapped_key) };
  }

  async reveal<E extends { data: object; metadata: object }>(events: E[], erasedAs: ErasedAs): Promise<Revealed<E>> {
    const subjects = new Set(events.flatMap(subjectsIn));
    if (subjects.size === 0) return { events, generation: undefined };
    await this.load(subjects);
    const generation = this.generation;
    const open = (encrypted: string): string => {
      const known = this.opened.get(encrypted);
      if (known !== undefined) return known;
      const subject = encrypted.split(':')[2];
      const key = this.keys.get(subject);
      if (!key) return erasedAs === 'id' ? erasedUserId(subject) : ERASED;
      const userId = decryptUserId(encrypted, key);
      if (this.opened.size >= CACHE_CAPACITY) this.opened.clear();
      this.opened.set(encrypted, userId);
      return userId;
    };
    return { events: events.map((event) => withUserIds(event, open)), generation };
  }

  forget(): void {
    this.keys = new Map();
    this.opened = new Map();
    this.generation = undefined;
    this.encryptedIds.clear();
  }

  /**
   * The keys of `subjects` not read yet, with the erasure generation in the same statement. If that
   * moved since the keys held were read, they are dropped and all are read again: every key a batch
   * opens with was read at one generation, the one the projector's transaction then holds.
   */
  private async load(subjects: Set<string>, again = false): Promise<void> {
    const missing = [...subjects].filter((subject) => !this.keys.has(subject));
    if (missing.length === 0) return;
    const rows: { generation: string; subject: string; wrapped_key: Buffer | null }[] = await this.db.query(
      `SELECT (SELECT generation FROM privacy.erasures)::text AS generation, s.id::text AS subject, k.wrapped_key
         FROM unnest($1::uuid[]) AS s(id) LEFT JOIN privacy.user_keys k ON k.subject_id = s.id`,
      [missing],
    );
    const generation = rows[0].generation;
    if (this.generation !== undefined && generation !== this.generation && !again) {
      this.forget();
      return this.load(subjects, true);
    }
    this.generation = generation;
    if (this.keys.size + rows.length > CACHE_CAPACITY) this.keys.clear();
    // No row, or no key: erased (or a database restored without its keys — as unreadable).
    for (const row of rows) this.keys.set(row.subject, row.wrapped_key ? this.unwrap(row.subject, row.wrapped_key) : null);
  }

  /**
   * The user's key, found by its lookup or made: one statement for every key asked for meanwhile, so
   * that at an on-sale's start, when every buyer is new, a key costs no round trip of its own, and a
   * returning buyer's costs the same one. A race with another command of the user's, here or on another
   * instance, keeps the first key.
   */
  private keyOf(lookup: Buffer): Promise<SubjectKey | undefined> {
    return new Promise((resolve, reject) => {
      if (this.asked.size === 0) setImmediate(() => void this.findOrMakeKeys());
      const hex = lookup.toString('hex');
      const asked = this.asked.get(hex) ?? { lookup, waiting: [] };
      asked.waiting.push({ resolve, reject });
      this.asked.set(hex, asked);
    });
  }

  /**
   * With the PostgreSQL event store, on the same server, a key's commit need not wait for the disk: the
   * server flushes its WAL in order, so the append that uses the key, which does wait, makes the key
   * durable too, and a crash before that loses a key no event holds. Hence a pool of its own whose
   * sessions commit so. EventStoreDB's appends are in no such order with it: there, the key waits.
   */
  private async findOrMakeKeys(): Promise<void> {
    const batch = [...this.asked.values()];
    this.asked = new Map();
    const made = batch.map(() => {
      const subject = randomUUID();
      const key = randomBytes(32);
      return { subject, key, wrapped: this.wrap(subject, key) };
    });
    // The outer SELECT sees the keys that were there before the statement; the INSERT's RETURNING, the ones it made.
    const statement = {
      name: 'privacy.findOrMakeKeys',
      text: `WITH asked AS (SELECT * FROM unnest($1::bytea[], $2::uuid[], $3::bytea[]) WITH ORDINALITY AS a(lookup, subject_id, wrapped_key, n)),
                  made AS (INSERT INTO privacy.user_keys (subject_id, lookup, wrapped_key) SELECT subject_id, lookup, wrapped_key FROM asked
                           ON CONFLICT (lookup) DO NOTHING RETURNING subject_id)
             SELECT coalesce(made.subject_id, k.subject_id) AS subject_id, CASE WHEN made.subject_id IS NULL THEN k.wrapped_key END AS wrapped_key
               FROM asked LEFT JOIN made ON made.subject_id = asked.subject_id
                          LEFT JOIN privacy.user_keys k ON k.lookup = asked.lookup AND made.subject_id IS NULL
              ORDER BY asked.n`,
      values: [batch.map((k) => k.lookup), made.map((k) => k.subject), made.map((k) => k.wrapped)],
    };
    try {
      let rows: { subject_id: string | null; wrapped_key: Buffer | null }[];
      if (this.env.EVENTSTORE_URL) rows = await this.db.query(statement.text, statement.values);
      else {
        this.creator ??= new pg.Pool({ connectionString: this.env.DATABASE_URL, max: 4, application_name: 'eventix-user-keys', options: '-c synchronous_commit=off' })
          // An idle connection lost (the server restarting) must not take the process with it; the next query connects again.
          .on('error', (error) => this.logger.warn(`Idle user-key connection failed: ${error.message}`));
        ({ rows } = await this.creator.query<{ subject_id: string | null; wrapped_key: Buffer | null }>(statement));
      }
      batch.forEach(({ waiting }, i) => {
        const { subject_id: subject, wrapped_key: wrapped } = rows[i];
        const found = subject === made[i].subject ? made[i] : subject && wrapped ? { subject, key: this.unwrap(subject, wrapped) } : undefined;
        for (const { resolve } of waiting) resolve(found);
      });
    } catch (error) {
      for (const { reject } of batch.flatMap(({ waiting }) => waiting)) reject(error);
    }
  }

  private lookup(userId: string): Buffer {
    return createHmac('sha256', this.lookupKey).update(userId, 'utf8').digest();
  }

  private wrap(subject: string, key: Buffer): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.wrappingKey, iv).setAAD(Buffer.from(subject));
    return Buffer.concat([iv, cipher.update(key), cipher.final(), cipher.getAuthTag()]);
  }

  private unwrap(subject: string, wrapped: Buffer): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.wrappingKey, wrapped.subarray(0, 12)).setAAD(Buffer.from(subject));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
    return Buffer.concat([decipher.update(wrapped.subarray(12, wrapped.length - 16)), decipher.final()]);
  }

  private remember(userId: string, encrypted: string) {
    if (this.encryptedIds.size >= CACHE_CAPACITY) this.encryptedIds.clear();
    this.encryptedIds.set(userId, { encrypted, until: Date.now() + ENCRYPTED_ID_TTL_MS });
  }

  /**
   * LISTEN for erasures elsewhere. A lost connection drops every cached key (an erasure may pass
   * unheard meanwhile) and is made again, every second until the server answers.
   */
  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.env.DATABASE_URL, application_name: 'eventix-privacy' });
    client.on('notification', () => this.forget());
    client.on('error', (error) => {
      if (this.listener !== client) return;
      this.logger.warn(`Erasure listener lost: ${error.message}`);
      this.listener = undefined;
      this.forget();
      void client.end().catch(() => undefined);
      this.listenAgain();
    });
    await client.connect();
    await client.query(`LISTEN ${PRIVACY_CHANNEL}`);
    this.listener = client;
  }

  private listenAgain(): void {
    setTimeout(() => {
      this.listen().catch(() => {
        this.forget();
        this.listenAgain();
      });
    }, 1_000).unref();
  }
}
