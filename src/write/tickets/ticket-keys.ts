import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, compactVerify, decodeProtectedHeader, type JWK } from 'jose';
import { DataSource } from 'typeorm';
import { Environment } from '../../config.js';
import { DomainError } from '../domain-error.js';
import type { TicketRef } from './ticket.events.js';

/**
 * The keys that sign tickets: an Ed25519 key pair per event, made the first time the event needs
 * one, kept in `ticketing.signing_keys` with the private half encrypted (AES-256-GCM) under a key
 * derived from TICKET_KEY_SECRET. docs/tickets.md says how to rotate and revoke them.
 *
 * A ticket's code is a compact JWS (`alg` EdDSA, the key's `kid` in its header) of
 * `{tid, eid, sid, bid}`: a gate that holds the event's public key verifies it without us.
 */
export type PublicTicketKey = JWK & { kid: string; alg: 'EdDSA'; use: 'sig' };

type EventKey = { kid: string; publicKey: KeyObject; jwk: PublicTicketKey; privateKey: KeyObject | undefined; signing: boolean };
type EventKeys = { keys: EventKey[]; loadedAt: number };

/** A code longer than this is not one of ours (ours are about 420 characters): refused before any parsing. */
export const MAX_CODE_LENGTH = 2_048;
const CODE_TYPE = 'eventix-ticket';
/** How long an instance trusts the keys it read: a rotation or revocation elsewhere (the CLI) takes effect within it. */
const KEYS_TTL_MS = 60_000;
/** An unknown `kid` is looked up again at most this often per event: forged codes cannot make every scan a query. */
const UNKNOWN_KID_RETRY_MS = 5_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Thrown for a code that is not a valid ticket of this event: 400, with what is wrong. */
export const invalidCode = (detail: string) => new DomainError('invalid', detail, { type: 'invalid-ticket-code' });

@Injectable()
export class TicketKeys {
  private readonly encryptionKey: Buffer;
  private readonly cache = new Map<string, Promise<EventKeys>>();

  constructor(
    private readonly db: DataSource,
    env: Environment,
  ) {
    this.encryptionKey = Buffer.from(hkdfSync('sha256', env.TICKET_KEY_SECRET, 'eventix', 'ticket signing keys / aes-256-gcm', 32));
  }

  /** The key new tickets of the event are signed with, as a public JWK. */
  async publicKey(eventId: string): Promise<PublicTicketKey> {
    return (await this.signingKey(eventId)).jwk;
  }

  /** Every key a ticket of the event may be signed with (the current one first): retired keys still verify tickets issued before a rotation. */
  async publicKeys(eventId: string): Promise<PublicTicketKey[]> {
    await this.signingKey(eventId);
    return (await this.keysOf(eventId)).keys.map((key) => key.jwk);
  }

  async sign(ticket: TicketRef): Promise<string> {
    const key = await this.signingKey(ticket.eventId);
    const payload = { tid: ticket.ticketId, eid: ticket.eventId, sid: ticket.seatId, bid: ticket.bookingId };
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: CODE_TYPE }).sign(key.privateKey!);
  }

  /** The ticket a code names, if the code is one of this event's, signed by one of its keys; otherwise a 400 that says why. */
  async verify(eventId: string, code: string): Promise<TicketRef> {
    if (code.length > MAX_CODE_LENGTH) throw invalidCode(`A ticket code is at most ${MAX_CODE_LENGTH} characters`);
    let kid: unknown;
    let claimed: Record<string, unknown>;
    try {
      ({ kid } = decodeProtectedHeader(code));
      claimed = JSON.parse(Buffer.from(code.split('.')[1] ?? '', 'base64url').toString('utf8'));
    } catch {
      throw invalidCode('This is not a ticket code');
    }
    // Said before the signature is checked, so that a gate at the wrong event is told so, not that the code is forged.
    if (claimed?.eid !== eventId) throw invalidCode('This ticket is for another event');
    const key = typeof kid === 'string' ? await this.verifyingKey(eventId, kid) : undefined;
    if (!key) throw invalidCode('The ticket code is not signed with a key of this event');
    let protectedHeader: Awaited<ReturnType<typeof compactVerify>>['protectedHeader'];
    try {
      ({ protectedHeader } = await compactVerify(code, key.publicKey, { algorithms: ['EdDSA'] }));
    } catch {
      throw invalidCode('The ticket code has been altered: its signature does not match');
    }
    if (protectedHeader.typ !== CODE_TYPE) throw invalidCode('The code is not a ticket');
    // The payload just verified is the one read above, byte for byte: no need to decode it again.
    const { tid, eid, sid, bid } = claimed;
    if (![tid, eid, sid, bid].every((id) => typeof id === 'string' && UUID.test(id))) throw invalidCode('The ticket code does not name a ticket');
    return { ticketId: tid as string, eventId: eid as string, seatId: sid as string, bookingId: bid as string };
  }

  /** Makes a new signing key for the event; the one before signs no more, but still verifies. */
  async rotate(eventId: string): Promise<PublicTicketKey> {
    await this.db.query(`UPDATE ticketing.signing_keys SET retired_at = now() WHERE event_id = $1 AND retired_at IS NULL`, [eventId]);
    this.cache.delete(eventId);
    return this.publicKey(eventId);
  }

  /** A key that leaked: tickets signed with it are refused from now on (each instance within a minute), and must be issued again. */
  async revoke(eventId: string, kid: string): Promise<boolean> {
    const [revoked]: [{ kid: string }[], number] = await this.db.query(
      `UPDATE ticketing.signing_keys SET revoked_at = now(), retired_at = coalesce(retired_at, now())
        WHERE event_id = $1 AND kid = $2 AND revoked_at IS NULL RETURNING kid`,
      [eventId, kid],
    );
    this.cache.delete(eventId);
    return revoked.length > 0;
  }

  private async signingKey(eventId: string): Promise<EventKey> {
    let signing = (await this.keysOf(eventId)).keys.find((key) => key.signing);
    if (!signing) {
      await this.create(eventId);
      this.cache.delete(eventId);
      signing = (await this.keysOf(eventId)).keys.find((key) => key.signing);
    }
    if (!signing?.privateKey) throw new Error(`The ticket signing key of event ${eventId} could not be made`);
    return signing;
  }

  private async verifyingKey(eventId: string, kid: string): Promise<EventKey | undefined> {
    const found = (await this.keysOf(eventId)).keys.find((key) => key.kid === kid);
    if (found) return found;
    const { loadedAt } = await this.keysOf(eventId);
    if (Date.now() - loadedAt < UNKNOWN_KID_RETRY_MS) return undefined;
    this.cache.delete(eventId);
    return (await this.keysOf(eventId)).keys.find((key) => key.kid === kid);
  }

  private keysOf(eventId: string): Promise<EventKeys> {
    const cached = this.cache.get(eventId);
    if (cached) {
      void cached.then(({ loadedAt }) => Date.now() - loadedAt > KEYS_TTL_MS && this.cache.get(eventId) === cached && this.cache.delete(eventId));
      return cached;
    }
    const loading = this.load(eventId);
    this.cache.set(eventId, loading);
    loading.catch(() => this.cache.delete(eventId));
    return loading;
  }

  private async load(eventId: string): Promise<EventKeys> {
    const rows: { kid: string; public_jwk: PublicTicketKey; private_key: Buffer; retired: boolean }[] = await this.db.query(
      `SELECT kid, public_jwk, private_key, retired_at IS NOT NULL AS retired FROM ticketing.signing_keys
        WHERE event_id = $1 AND revoked_at IS NULL ORDER BY retired_at DESC NULLS FIRST, created_at DESC`,
      [eventId],
    );
    const keys = rows.map((row) => ({
      kid: row.kid,
      jwk: row.public_jwk,
      publicKey: createPublicKey({ key: row.public_jwk, format: 'jwk' }),
      privateKey: row.retired ? undefined : this.decrypt(eventId, row.kid, row.private_key),
      signing: !row.retired,
    }));
    return { keys, loadedAt: Date.now() };
  }

  /** A new key pair, unless another instance made the event's signing key first (one signing key per event: a unique index). */
  private async create(eventId: string): Promise<void> {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const exported = publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(exported);
    const jwk: PublicTicketKey = { ...exported, kid, alg: 'EdDSA', use: 'sig' };
    await this.db.query(
      `INSERT INTO ticketing.signing_keys (event_id, kid, public_jwk, private_key) VALUES ($1, $2, $3, $4)
       ON CONFLICT (event_id) WHERE retired_at IS NULL DO NOTHING`,
      [eventId, kid, JSON.stringify(jwk), this.encrypt(eventId, kid, privateKey.export({ format: 'der', type: 'pkcs8' }))],
    );
  }

  /** iv (12 bytes) ‖ tag (16) ‖ ciphertext; the event and kid are authenticated with it, so a row's key cannot be moved to another. */
  private encrypt(eventId: string, kid: string, plain: Buffer): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv).setAAD(Buffer.from(`${eventId}/${kid}`));
    const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]);
  }

  private decrypt(eventId: string, kid: string, stored: Buffer): KeyObject {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, stored.subarray(0, 12)).setAAD(Buffer.from(`${eventId}/${kid}`));
      decipher.setAuthTag(stored.subarray(12, 28));
      return createPrivateKey({ key: Buffer.concat([decipher.update(stored.subarray(28)), decipher.final()]), format: 'der', type: 'pkcs8' });
    } catch (error) {
      throw new Error(`The ticket signing key ${kid} of event ${eventId} cannot be decrypted: is TICKET_KEY_SECRET the one it was stored with?`, { cause: error });
    }
  }
}
