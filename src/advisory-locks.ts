/**
 * Every PostgreSQL advisory lock the service takes, in one place, so that no two uses share a key.
 * Two-key locks (namespace, key) and one-key locks (one bigint) are separate spaces in PostgreSQL.
 */
export const ADVISORY_LOCKS = {
  /** Two keys (this, hashtext(name)), held by a session: the instance that runs a projector or reactor. */
  followerNamespace: 7_301,
  /** Two keys (namespace, sweep), held by a transaction: the instance that sweeps now. */
  sweeps: { namespace: 7_302, expiredHolds: 1, orphanedReservations: 2 },
  /**
   * One key, held by a transaction: the PostgreSQL event store's migration. (Its appends take a
   * one-key lock per stream too, hashtextextended(stream, 0), inside its SQL function eventstore.append_to_stream.)
   */
  eventStoreMigration: `hashtext('eventix.eventstore.migrate')`,
} as const;
