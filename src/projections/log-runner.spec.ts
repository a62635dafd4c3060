import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/all.js';
import { createTestDatabase } from '../../test/support/database.js';
import { openTestEventStore } from '../../test/support/event-store.js';
import { type Event, type EventStore, EventStoreRefusedError, type Projected } from '../write/event-store/event-store.port.js';
import { LogRunner } from './log-runner.js';
import { projection } from './projection.js';
import { type Projector, sql } from './projector.js';
import { validateEnvironment } from '../config.js';
import { UserKeys } from '../write/privacy/user-keys.js';

/**
 * The runner against real PostgreSQL, with a small projector of its own: a tally of `Counted`
 * events per stream, where a lost event or an event applied twice shows as a wrong number.
 */
type Counted = Event<'Counted', { i: number }>;

describe('log runner, running a projector', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: EventStore;
  let dataSource: DataSource;
  const context = { correlationId: randomUUID(), causationId: null, userId: null };

  const tallyProjector = (name: string, sabotage: (event: Projected<Counted>) => string | undefined = () => undefined): Projector<Counted> => ({
    name,
    tables: ['public.tally'],
    handles: new Set(['Counted']),
    fold: () => {
      throw new Error('not rebuilt in these tests');
    },
    project: (event) => {
      const extra = sabotage(event);
      return [
        sql`INSERT INTO tally (projector, stream, n) VALUES (${name}, ${event.streamName}, 1)
            ON CONFLICT (projector, stream) DO UPDATE SET n = tally.n + 1`,
        ...(extra ? [{ text: extra, values: [] }] : []),
      ];
    },
  });

  const appendCounted = async (streams: number, perStream: number) => {
    const names = Array.from({ length: streams }, () => `counter-${randomUUID()}`);
    for (let i = 0; i < perStream; i++) {
      await Promise.all(names.map((name) => store.appendToStream(name, [{ type: 'Counted', data: { i } }, { type: 'Ignored', data: {} }], { expectedRevision: 'any', context })));
    }
    return names;
  };

  /** The projector's counts of the given streams (each test's projector also sees the streams of the tests before). */
  const tally = async (projector: string, streams: string[]) =>
    Object.fromEntries(
      (await dataSource.query(`SELECT stream, n FROM tally WHERE projector = $1 AND stream = ANY($2)`, [projector, streams])).map(
        (row: { stream: string; n: number }) => [row.stream, row.n],
      ),
    );

  const until = async (check: () => Promise<boolean>, ms = 20_000) => {
    for (const deadline = Date.now() + ms; !(await check()); await new Promise((r) => setTimeout(r, 25))) {
      if (Date.now() > deadline) throw new Error('timed out');
    }
  };

  const head = async () => (await store.readAll({ limit: 1_000_000 })).at(-1)!.position;
  const runner = (projector: Projector<Counted>) => new LogRunner(projection(projector, dataSource, new UserKeys(dataSource, validateEnvironment({ DATABASE_URL: database.url }))), store, dataSource, database.url);

  beforeAll(async () => {
    database = await createTestDatabase('runner');
    store = await openTestEventStore(database.url);
    dataSource = new DataSource({ type: 'postgres', url: database.url, migrations, extra: { max: 8 } });
    await dataSource.initialize();
    await dataSource.runMigrations();
    await dataSource.query(`CREATE TABLE tally (projector text, stream text, n int NOT NULL, PRIMARY KEY (projector, stream))`);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await store?.close();
    await database?.drop();
  });

  it('applies each event once, and resumes from its checkpoint after a stop', async () => {
    const streams = await appendCounted(4, 25);
    const first = runner(tallyProjector('resume'));
    first.start();
    await until(async () => first.status.position === (await head()));
    await first.stop();
    const more = await appendCounted(2, 10);
    const second = runner(tallyProjector('resume'));
    second.start();
    await until(async () => second.status.position === (await head()));
    await second.stop();
    expect(await tally('resume', [...streams, ...more])).toEqual(Object.fromEntries([...streams.map((s) => [s, 25]), ...more.map((s) => [s, 10])]));
  });

  it('loses and repeats nothing when its connection dies in the middle of a batch', async () => {
    const streams = await appendCounted(10, 30);
    let killed = 0;
    // Half-way through a batch, the projector's own database connection is terminated.
    const crashing = tallyProjector('crash', (event) => (event.data.i === 15 && killed++ === 0 ? 'SELECT pg_terminate_backend(pg_backend_pid())' : undefined));
    const victim = runner(crashing);
    victim.start();
    await until(async () => victim.status.position === (await head()), 30_000);
    await victim.stop();
    expect(killed).toBeGreaterThan(0);
    expect(await tally('crash', streams)).toEqual(Object.fromEntries(streams.map((s) => [s, 30])));
  });

  it('parks an event it cannot apply, says so, and goes on with the rest', async () => {
    const streams = await appendCounted(3, 10);
    const poisoned = tallyProjector('poison', (event) =>
      event.streamName === streams[1] && event.data.i === 4 ? `SELECT 1 / 0` : undefined,
    );
    const subject = runner(poisoned);
    subject.start();
    await until(async () => subject.status.position === (await head()));
    await subject.stop();
    expect(await tally('poison', streams)).toEqual({ [streams[0]]: 10, [streams[1]]: 9, [streams[2]]: 10 });
    const parked = await dataSource.query(`SELECT stream_name, event_type, error FROM projections.parked_events WHERE projector = 'poison'`);
    expect(parked).toEqual([{ stream_name: streams[1], event_type: 'Counted', error: expect.stringContaining('division by zero') }]);
  });

  it('runs in one instance at a time, and another takes over within seconds when it stops', async () => {
    await appendCounted(2, 5);
    const a = runner(tallyProjector('handover'));
    const b = runner(tallyProjector('handover'));
    a.start();
    await until(async () => a.status.leader);
    b.start();
    await new Promise((r) => setTimeout(r, 1_500));
    expect([a.status.leader, b.status.leader]).toEqual([true, false]);

    await a.stop(); // as an instance that dies: its lock goes with its connection
    const stoppedAt = Date.now();
    await until(async () => b.status.leader, 10_000);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    const later = await appendCounted(1, 3);
    await until(async () => b.status.position === (await head()));
    await b.stop();
    expect(await tally('handover', later)).toEqual({ [later[0]]: 3 });
  });

  it('reports an event store that refuses it as its fault, tries again ever more rarely, and clears the fault once it reads again', async () => {
    const streams = await appendCounted(1, 3);
    let subscriptions = 0;
    let refuse = true;
    // The real store, behind a door that an operator has locked (access denied to $all, say).
    const guarded: EventStore = Object.assign(Object.create(store) as EventStore, {
      subscribeToAll: (options: Parameters<EventStore['subscribeToAll']>[0]) => {
        subscriptions++;
        if (refuse) throw new EventStoreRefusedError('AccessDeniedError: Access denied');
        return store.subscribeToAll(options);
      },
    });
    const subject = new LogRunner(projection(tallyProjector('refused'), dataSource, new UserKeys(dataSource, validateEnvironment({ DATABASE_URL: database.url }))), guarded, dataSource, database.url);
    subject.start();
    await until(async () => subject.status.fault !== null);
    expect(subject.status.fault).toMatch(/refuses this service: AccessDeniedError/);
    await new Promise((r) => setTimeout(r, 3_500));
    expect(subscriptions).toBeLessThanOrEqual(2); // 2 s, then 4 s: not every second
    refuse = false; // the operator mends the ACL; no restart
    await until(async () => subject.status.position === (await head()), 15_000);
    await subject.stop();
    expect(subject.status.fault).toBeNull();
    expect(await tally('refused', streams)).toEqual({ [streams[0]]: 3 });
  });

  it('gives the same tables when the same events are replayed twice', async () => {
    const streams = await appendCounted(3, 10);
    const once = runner(tallyProjector('replay'));
    once.start();
    await until(async () => once.status.position === (await head()));
    await once.stop();
    const before = await tally('replay', streams);
    // Back to the start of the log with the processed marks kept: every event is seen again and skipped.
    await dataSource.query(`UPDATE projections.checkpoints SET position = '' WHERE projector = 'replay'`);
    const twice = runner(tallyProjector('replay'));
    twice.start();
    await until(async () => twice.status.position === (await head()));
    await twice.stop();
    expect(await tally('replay', streams)).toEqual(before);
    expect(Object.values(before)).toEqual([10, 10, 10]);
  });
});
