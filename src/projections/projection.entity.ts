import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Where each projector has got to in the event log (migrations/1764036100000-ReadModelTables.ts). */
@Entity({ schema: 'projections', name: 'checkpoints' })
export class CheckpointRow {
  @PrimaryColumn({ name: 'projector', type: 'varchar', length: 100 })
  projector!: string;

  /** An opaque, text-comparable event-store position; '' is the start of the log. */
  @Column({ name: 'position', type: 'text', default: '' })
  position!: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}

/** An event a projector could not apply: parked, so that it does not stop the projector. */
@Entity({ schema: 'projections', name: 'parked_events' })
export class ParkedEventRow {
  @PrimaryColumn({ name: 'projector', type: 'varchar', length: 100 })
  projector!: string;

  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'position', type: 'text' })
  position!: string;

  @Column({ name: 'stream_name', type: 'text' })
  streamName!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 100 })
  eventType!: string;

  @Column({ name: 'error', type: 'text' })
  error!: string;

  @Column({ name: 'parked_at', type: 'timestamptz', default: () => 'now()' })
  parkedAt!: Date;
}
