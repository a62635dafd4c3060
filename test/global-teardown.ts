import type { StartedTestContainer } from 'testcontainers';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __eventStoreContainer?: StartedTestContainer }).__eventStoreContainer?.stop();
}
