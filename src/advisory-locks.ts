import type { DataSource, EntityManager } from 'typeorm';

/**
 * Every PostgreSQL advisory lock the service takes, in one place, so that no two uses share a key.
 * Two-key locks (namespace, key) and one-key locks (one bigint) are separate spaces in PostgreSQL.
 */
export const ADVISORY_LOCKS = {
  /** Two keys (this, hashtext(name)), held by a session: the instance that runs a projector or reactor. */
  followerNamespace: 7_301,
  /** Two keys (namespace, sweep), held by a transaction: the instance that sweeps now. */
  sweeps: { namespace: 7_302, expiredHolds: 1, orphanedReservations: 2, refunds: 3 },
  /**
   * One key, held by a transaction: the PostgreSQL event store's migration. (Its appends take a
   * one-key lock per stream too, hashtextextended(stream, 0), inside its SQL function eventstore.append_to_stream.)
   */
  eventStoreMigration: `hashtext('eventix.eventstore.migrate')`,
  /** One key, held by a transaction: the built-in test payment provider creating its ledger. */
  testPaymentProviderLedger: `hashtext('eventix.test-payment-provider.ledger')`,
} as const;

/**
 * `work` in a transaction holding a sweep's lock, if no other instance holds it (else `otherwise`).
 * The transaction only reads, so it gets no transaction id: an open one would hold back every
 * reader of the log (they read below the server's oldest). The work writes through other connections.
 */
export const exclusively = <T>(db: DataSource, sweep: number, otherwise: T, work: (tx: EntityManager) => Promise<T>): Promise<T> =>
  db.transaction(async (tx) => {
    const [{ locked }] = await tx.query(`SELECT pg_try_advisory_xact_lock($1, $2) AS locked`, [ADVISORY_LOCKS.sweeps.namespace, sweep]);
    return locked ? work(tx) : otherwise;
  });
