import { createTestDatabase } from './support/database.js';
import { exitOf, freePort, startService } from './support/process.js';

/** The service as `npm start` runs it, with no configuration but where its database lives. */
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
