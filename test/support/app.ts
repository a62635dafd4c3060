import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, configureApp } from '../../src/app.module.js';
import { eventStoreEnv } from './event-store.js';

/**
 * The real application, in process, on the given environment (a test database of its own, say).
 * Environment variables are what the service reads, so they are set for the duration of the boot.
 * Its event store is the suite's (test/support/event-store.ts), for its database.
 */
/** Where an in-process app listens, as a URL (Nest may say [::1] for a loopback listener). */
export const appUrl = async (app: NestExpressApplication): Promise<string> => (await app.getUrl()).replace('[::1]', '127.0.0.1');

export const startApp = async (
  env: { DATABASE_URL: string } & Record<string, string>,
  /** To put a fault in a real provider (a store whose append fails, say); never to mock one away. */
  adjust: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder,
): Promise<NestExpressApplication> => {
  const saved = { ...process.env };
  Object.assign(process.env, { LOG_LEVEL: 'warn', ...eventStoreEnv(env.DATABASE_URL), ...env });
  try {
    const moduleRef = await adjust(Test.createTestingModule({ imports: [AppModule.register()] })).compile();
    const app = configureApp(moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, rawBody: true, logger: ['error', 'warn'] }));
    // Listening for real: the test payment provider delivers its outcomes to the service's own webhook.
    await app.listen(0, '127.0.0.1');
    return app;
  } finally {
    process.env = saved;
  }
};
