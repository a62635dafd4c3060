import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createTestDatabase } from './support/database.js';

/**
 * The service as `npm start` runs it: the built dist/src/main.js in a process of its own, with no
 * configuration but where its database lives. (`npm test` builds before running the suites.)
 */
const freePort = async (): Promise<number> => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
};

const startService = (env: Record<string, string>): { child: ChildProcess; output: () => string } => {
  let output = '';
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
};

/** How the process ended: its exit code, or the signal that ended it (SIGKILL: it did not stop in time). */
const exitOf = async (child: ChildProcess, withinMs: number): Promise<number | string> => {
  const timer = setTimeout(() => child.kill('SIGKILL'), withinMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  return code ?? signal!;
};

describe('the service process', () => {
  it('starts with no configuration, answers /health, and stops cleanly on SIGTERM', async () => {
    const database = await createTestDatabase('process');
    await database.drop(); // the service creates it
    const port = await freePort();
    const { child, output } = startService({ DATABASE_URL: database.url, PORT: String(port) });
    try {
      let health: Response | undefined;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && child.exitCode === null; ) {
        health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        if (health?.ok) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect({ status: health?.status, output: output() }).toMatchObject({ status: 200 });
      expect(await health!.json()).toMatchObject({ info: { eventStore: { status: 'up' }, database: { status: 'up' } } });

      // Nest closes the app (HTTP, then the event store's and TypeORM's pools) and re-raises the signal.
      child.kill('SIGTERM');
      expect(await exitOf(child, 10_000)).toBe('SIGTERM');
      expect(output()).not.toMatch(/"level":50/); // no error logged on the way down
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await database.drop();
    }
  });

  it('refuses to start on a bad variable, naming it', async () => {
    const { child, output } = startService({ PORT: 'eighty' });
    expect(await exitOf(child, 10_000)).toBe(1);
    expect(output()).toContain('PORT: PORT must be an integer number (got "eighty")');
  });
});
