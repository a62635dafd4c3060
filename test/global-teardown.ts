import type { StartedTestContainer } from 'testcontainers';

import { execFileSync } from 'node:child_process';

export default async function globalTeardown(): Promise<void> {
  if (process.env.TEST_KAFKA_STARTED_HERE) execFileSync('scripts/kafka.sh', ['stop'], { stdio: 'inherit' });
  await (globalThis as { __eventStoreContainer?: StartedTestContainer }).__eventStoreContainer?.stop();
}
