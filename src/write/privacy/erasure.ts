import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { eraseUserId, personalColumns, PROJECTORS } from '../../projections/projectors.js';
import { DomainError } from '../domain-error.js';
import { EVENT_STORE, type EventStore, type MessageContext, type Position, WrongExpectedRevisionError } from '../event-store/event-store.port.js';
import { erasedUserId, subjectOf } from './personal-data.js';
import { privacyStream } from './privacy.events.js';
import { PRIVACY_CHANNEL, UserKeys } from './user-keys.js';

export type Erased = { user: string; erasedAt: string; position: Position };

/**
 * Erases a user (docs/privacy.md): records the erasure in the log, then, in one transaction, destroys
 * the user's key, rewrites the user's id in the read models to `erased:<subject>`, and tells every
 * instance to drop the keys it holds. Retried after a failure, it finishes the same erasure: the
 * key is found again until the transaction commits, and the log's record is written once.
 */
@Injectable()
export class Erasure {
  private readonly logger = new Logger('Privacy');

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly db: DataSource,
    private readonly keys: UserKeys,
  ) {}

  async erase(userId: string, context: MessageContext): Promise<Erased> {
    // A user who acted only before #22 has no key, and plain ids in the read models: a key is made to be destroyed, so that they are erased there too (docs/privacy.md).
    const subject =
      (await this.keys.subjectKey(userId))?.subject ?? ((await this.heldInReadModels(userId)) ? subjectOf(await this.keys.encryptedId(userId)) : undefined);
    if (!subject) throw new DomainError('not-found', 'No personal data of this user is held: it never acted here, or it was erased already');
    const user = erasedUserId(subject);
    const position = await this.record(subject, context);
    const erasedAt = await this.db.transaction(async (tx) => {
      // Waits for the projector batches that opened user ids with the keys as they were, and refuses those that start meanwhile.
      await tx.query(`UPDATE privacy.erasures SET generation = generation + 1`);
      await tx.query(`UPDATE privacy.user_keys SET lookup = NULL, wrapped_key = NULL, erased_at = coalesce(erased_at, now()) WHERE subject_id = $1`, [subject]);
      const [row]: { erased_at: Date }[] = await tx.query(`SELECT erased_at FROM privacy.user_keys WHERE subject_id = $1`, [subject]);
      for (const { text, values } of eraseUserId(PROJECTORS, userId, user)) await tx.query(text, values);
      await tx.query(`SELECT pg_notify($1, '')`, [PRIVACY_CHANNEL]);
      return row.erased_at.toISOString();
    });
    this.keys.forget();
    this.logger.log(`Erased ${user}`); // the subject, never the user id
    return { user, erasedAt, position };
  }

  private async heldInReadModels(userId: string): Promise<boolean> {
    const anywhere = personalColumns(PROJECTORS).map(({ table, column }) => `EXISTS (SELECT 1 FROM ${table} WHERE ${column} = $1)`);
    const [{ held }]: { held: boolean }[] = await this.db.query(`SELECT ${anywhere.join(' OR ') || 'false'} AS held`, [userId]);
    return held;
  }

  /** PersonalDataErased, once: a retry finds it in the log. */
  private async record(subject: string, context: MessageContext): Promise<Position> {
    const stream = privacyStream(subject);
    try {
      return (await this.store.appendToStream(stream, [{ type: 'PersonalDataErased', data: { subjectId: subject } }], { expectedRevision: 'no_stream', context })).position;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      return (await this.store.readStream(stream)).events[0].position;
    }
  }
}
