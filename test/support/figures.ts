import { appendFileSync, mkdirSync } from 'node:fs';

/**
 * The figures a run is judged by (bookings attempted, faults injected, inputs tried, events lost),
 * collected from every test file into one file and printed by the global teardown at the end
 * (test/global-teardown.ts; global setup empties it).
 */
export const FILE = 'test-output/figures.ndjson';

export type Figure = { suite: string; figure: string; value: number | string };

export const recordFigure = (suite: string, figure: string, value: number | string): void => {
  mkdirSync('test-output', { recursive: true });
  appendFileSync(FILE, `${JSON.stringify({ suite, figure, value } satisfies Figure)}\n`);
};
