import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { getContainerRuntimeClient, GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';

/**
 * Starts what the whole suite shares. Given TEST_EVENTSTORE_URL (or EVENTSTORE_URL), the whole
 * suite runs on that EventStoreDB (test/support/event-store.ts), the contract suite's EventStoreDB
 * leg included. Without one, everything runs on PostgreSQL, and the contract's EventStoreDB leg
 * runs against a testcontainers EventStoreDB when a Docker engine exists, or is skipped and says why.
 */
let eventStoreContainer: StartedTestContainer | undefined;

export default async function globalSetup(): Promise<void> {
  rmSync('test-output/figures.ndjson', { force: true }); // test/support/figures.ts
  startKafka();
  installChromium();
  if (!process.env.TEST_EVENTSTORE_URL && process.env.EVENTSTORE_URL) process.env.TEST_EVENTSTORE_URL = process.env.EVENTSTORE_URL;
  if (process.env.TEST_EVENTSTORE_URL) {
    console.info(`\nThe whole suite runs on EventStoreDB at ${process.env.TEST_EVENTSTORE_URL}, each test database's streams under a prefix of its own`);
    return;
  }
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    process.env.EVENTSTORE_SKIP_REASON = `no EventStoreDB reachable: TEST_EVENTSTORE_URL and EVENTSTORE_URL are unset, and testcontainers found no Docker engine (${(error as Error).message})`;
    return;
  }
  eventStoreContainer = await new GenericContainer('eventstore/eventstore:24.10')
    .withEnvironment({
      EVENTSTORE_INSECURE: 'true',
      EVENTSTORE_CLUSTER_SIZE: '1',
      EVENTSTORE_MEM_DB: 'true',
      EVENTSTORE_RUN_PROJECTIONS: 'None',
    })
    .withExposedPorts(2113)
    .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
    .start();
  process.env.TEST_EVENTSTORE_URL = `esdb://${eventStoreContainer.getHost()}:${eventStoreContainer.getMappedPort(2113)}?tls=false`;
  // Asked for by no one: the rest of the suite stays on PostgreSQL, its default.
  process.env.TEST_EVENTSTORE_CONTRACT_ONLY = 'true';
  (globalThis as { __eventStoreContainer?: StartedTestContainer }).__eventStoreContainer = eventStoreContainer;
}

/**
 * A real Kafka broker for the suites that need one: TEST_KAFKA_BROKERS when given, else the
 * project's own broker (scripts/kafka.sh), started here and stopped by the teardown.
 */
const startKafka = () => {
  if (process.env.TEST_KAFKA_BROKERS) return;
  // A broker someone started by hand (scripts/kafka.sh start) is used, and left running afterwards.
  const runningAlready = spawnSync('scripts/kafka.sh', ['status'], { stdio: 'ignore' }).status === 0;
  execFileSync('scripts/kafka.sh', ['start'], { stdio: 'inherit' });
  process.env.TEST_KAFKA_BROKERS = '127.0.0.1:19092';
  if (!runningAlready) process.env.TEST_KAFKA_STARTED_HERE = 'true';
};

/**
 * Debian's Chromium for the console's browser test (scripts/chromium.sh installs it with apt-get
 * when missing). Failing here fails the run: the browser test is never skipped for want of it.
 */
const installChromium = () => {
  process.env.CHROMIUM_PATH = execFileSync('scripts/chromium.sh', { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' }).trim();
};
