import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { eventStoreEnv } from './event-store.js';

/** The service as `npm start` runs it: the built dist/src/main.js in a process of its own (`npm test` builds first). */
export const freePort = async (): Promise<number> => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
};

export type ServiceProcess = { child: ChildProcess; output: () => string; url: string };

/** Started with `env` alone (no variable of the test's shell), and the suite's event store for its database. */
export const startService = (env: Record<string, string>): ServiceProcess => {
  let output = '';
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...(env.DATABASE_URL ? eventStoreEnv(env.DATABASE_URL) : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output, url: `http://127.0.0.1:${env.PORT ?? 3000}` };
};

/** Resolves once /health/ready answers 200; fails (with the process's output) if it exits or takes longer than `ms`. */
export const ready = async ({ child, output, url }: ServiceProcess, ms = 30_000): Promise<void> => {
  for (const deadline = Date.now() + ms; Date.now() < deadline && child.exitCode === null && child.signalCode === null; ) {
    const health = await fetch(`${url}/health/ready`).catch(() => undefined);
    if (health?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the service did not become ready:\n${output().slice(-3_000)}`);
};

/** How the process ended: its exit code, or the signal that ended it (SIGKILL: it did not stop in time). */
export const exitOf = async (child: ChildProcess, withinMs: number): Promise<number | string> => {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode!;
  const timer = setTimeout(() => child.kill('SIGKILL'), withinMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  return code ?? signal!;
};
