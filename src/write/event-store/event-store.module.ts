import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Environment } from '../../config.js';
import { ensureDatabase } from '../../database.js';
import { EsdbEventStore } from './esdb.event-store.js';
import { EVENT_STORE, type EventStore } from './event-store.port.js';
import { PostgresEventStore } from './postgres.event-store.js';

/** EventStoreDB when EVENTSTORE_URL is set, else the PostgreSQL store in the service's database. */
export const openEventStore = async (
  env: Pick<Environment, 'EVENTSTORE_URL' | 'DATABASE_URL'> & Partial<Pick<Environment, 'EVENTSTORE_DEADLINE_MS' | 'EVENTSTORE_STREAM_PREFIX'>>,
): Promise<EventStore> => {
  const logger = new Logger('EventStore');
  if (env.EVENTSTORE_URL) {
    logger.log(`Event store: EventStoreDB${env.EVENTSTORE_STREAM_PREFIX ? `, streams ${env.EVENTSTORE_STREAM_PREFIX}.*` : ''}`);
    return new EsdbEventStore(env.EVENTSTORE_URL, { deadlineMs: env.EVENTSTORE_DEADLINE_MS, streamPrefix: env.EVENTSTORE_STREAM_PREFIX });
  }
  await ensureDatabase(env.DATABASE_URL);
  const store = new PostgresEventStore({ connectionString: env.DATABASE_URL, max: 16, application_name: 'eventix-eventstore' });
  await store.migrate();
  logger.log('Event store: PostgreSQL (schema eventstore)');
  return store;
};

@Global()
@Module({
  providers: [
    {
      provide: EVENT_STORE,
      inject: [Environment],
      useFactory: (env: Environment) => openEventStore(env),
    },
  ],
  exports: [EVENT_STORE],
})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  // After HTTP has stopped taking requests: in-flight appends finish, then the pool closes.
  async onApplicationShutdown() {
    await this.store.close();
  }
}
