import type { StartedTestContainer } from 'testcontainers';

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  printFigures();
  if (process.env.TEST_KAFKA_STARTED_HERE) execFileSync('scripts/kafka.sh', ['stop'], { stdio: 'inherit' });
  await (globalThis as { __eventStoreContainer?: StartedTestContainer }).__eventStoreContainer?.stop();
}

/** The figures the test files recorded (test/support/figures.ts), at the end of the run's output. */
const printFigures = () => {
  const file = 'test-output/figures.ndjson';
  if (!existsSync(file)) return;
  const figures: { suite: string; figure: string; value: number | string }[] = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  if (figures.length === 0) return;
  const width = Math.max(...figures.map((f) => `${f.suite}: ${f.figure}`.length));
  const lines = figures.map((f) => `  ${`${f.suite}: ${f.figure}`.padEnd(width)}  ${typeof f.value === 'number' ? f.value.toLocaleString('en-US') : f.value}`);
  process.stdout.write(`\nFigures of this run (${file}):\n${lines.join('\n')}\n`);
};
