import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * How a decider's state is kept in a snapshot: as JSON, under a version. Change `version` with the
 * JSON's shape or the state's meaning: a snapshot of another version is ignored, never read in the
 * wrong shape. `toSnapshot` returns a value of its own, which later events do not change: states
 * are evolved in place, and the snapshot is written after the command has moved on.
 */
export type SnapshotCodec<State> = {
  version: number;
  toSnapshot: (state: State) => unknown;
  fromSnapshot: (json: unknown) => State;
};

/** A stream's state as of `revision`, whose event has the chain hash `lastHash` (log-hash.ts). */
export type Snapshot = { revision: bigint; lastHash: string; state: unknown };

/**
 * Snapshots of long streams' states, in snapshots.snapshots of the service's database, beside the
 * log whichever store holds it. A cache, never a source of truth: StreamCache checks each one
 * against the log before it starts from it.
 */
@Injectable()
export class SnapshotStore {
  constructor(private readonly db: DataSource) {}

  /** The stream's snapshot of this version; one of another version is as good as none. */
  async load(stream: string, version: number): Promise<Snapshot | undefined> {
    const [row]: { revision: string; last_hash: string; state: unknown }[] = await this.db.query(
      `SELECT revision, last_hash, state FROM snapshots.snapshots WHERE stream_name = $1 AND schema_version = $2`,
      [stream, version],
    );
    return row && { revision: BigInt(row.revision), lastHash: row.last_hash, state: row.state };
  }

  /**
   * Keeps the later snapshot: instances that save one stream concurrently never move it back. A
   * snapshot of another version is replaced whatever its revision, since the code running now cannot
   * read it (a deploy, or a rollback; while both versions run, they take turns).
   */
  async save(stream: string, version: number, { revision, lastHash, state }: Snapshot): Promise<void> {
    await this.db.query(
      `INSERT INTO snapshots.snapshots AS s (stream_name, schema_version, revision, last_hash, state, taken_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, now())
       ON CONFLICT (stream_name) DO UPDATE
         SET schema_version = excluded.schema_version, revision = excluded.revision, last_hash = excluded.last_hash,
             state = excluded.state, taken_at = excluded.taken_at
       WHERE s.revision < excluded.revision OR s.schema_version <> excluded.schema_version`,
      [stream, version, String(revision), lastHash, JSON.stringify(state)],
    );
  }

  /**
   * Removes a snapshot the log contradicts, and only that one: otherwise it would keep out every
   * snapshot of an earlier revision, and instances would read the whole stream until the log passed it.
   */
  async discard(stream: string, { revision, lastHash }: Snapshot): Promise<void> {
    await this.db.query(`DELETE FROM snapshots.snapshots WHERE stream_name = $1 AND revision = $2 AND last_hash = $3`, [stream, String(revision), lastHash]);
  }
}
