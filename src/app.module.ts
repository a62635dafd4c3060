import { ConsoleLogger, type DynamicModule, Logger, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CqrsModule } from '@nestjs/cqrs';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { migrations } from '../migrations/all.js';
import { Environment, validateEnvironment } from './config.js';
import { AuthModule } from './auth.js';
import { KafkaModule } from './kafka.js';
import { ProjectionsModule } from './projections/projections.module.js';
import { readModelEntities } from './read/read-model.entities.js';
import { ReadModule } from './read/read.module.js';
import { BookingModule } from './write/booking/booking.module.js';
import { CatalogModule } from './write/catalog/catalog.module.js';
import { PaymentModule } from './write/payment/payment.module.js';
import { TicketsModule } from './write/tickets/tickets.module.js';
import { WebhooksModule } from './write/webhooks/webhooks.module.js';
import { PrivacyModule } from './write/privacy/privacy.module.js';
import { ensureDatabase } from './database.js';
import { HealthController } from './health.controller.js';
import { HttpDrain } from './http-drain.js';
import { MetricsModule } from './metrics.js';
import { ProblemDetailsFilter } from './problem-details.filter.js';
import { CommandAdmissionModule } from './write/command-admission.js';
import { EventStoreModule } from './write/event-store/event-store.module.js';
import { InputValidationPipe } from './validation.js';
import { openApiDocument } from './openapi/document.js';

const readModelDatabase = TypeOrmModule.forRootAsync({
  inject: [Environment],
  useFactory: async (env: Environment) => {
    await ensureDatabase(env.DATABASE_URL);
    return {
      type: 'postgres' as const,
      url: env.DATABASE_URL,
      applicationName: 'eventix-read-models',
      migrations,
      migrationsRun: true,
      entities: readModelEntities,
      extra: { max: 10 },
    };
  },
});

/** The operator console's static files: console/ at the package root, one level above src/ and two above dist/src/. */
const consoleFiles = () => {
  const found = ['../console/', '../../console/'].map((up) => fileURLToPath(new URL(up, import.meta.url))).find((dir) => existsSync(`${dir}index.html`));
  if (!found) throw new Error(`The operator console's files (console/index.html) are missing beside ${fileURLToPath(import.meta.url)}`);
  return found;
};

@Module({})
export class EnvironmentModule {
  /**
   * Reads and checks the environment when called, not when this file is imported. Code injects the
   * checked `Environment` itself (typed, and an empty variable really is unset there).
   */
  static register(): DynamicModule {
    const env = validateEnvironment(process.env);
    return {
      module: EnvironmentModule,
      global: true,
      imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: () => env })],
      providers: [{ provide: Environment, useValue: env }],
      exports: [Environment],
    };
  }
}

/** A failed health check is weather (a store down, a node failing over) that its answer reports: a warning in the log, not an error. */
class HealthLogger extends ConsoleLogger {
  override error(message: unknown) {
    new Logger('Health').warn(message);
  }
}

@Module({})
export class AppModule {
  static register(): DynamicModule {
    return {
      module: AppModule,
      imports: [
        EnvironmentModule.register(),
        CqrsModule.forRoot(),
        readModelDatabase,
        TerminusModule.forRoot({ errorLogStyle: 'pretty', logger: HealthLogger }),
        MetricsModule,
        CommandAdmissionModule,
        EventStoreModule,
        PrivacyModule,
        AuthModule,
        CatalogModule,
        BookingModule,
        PaymentModule,
        TicketsModule,
        WebhooksModule,
        KafkaModule,
        ProjectionsModule,
        ReadModule,
      ],
      controllers: [HealthController],
      providers: [HttpDrain],
    };
  }
}

/** What main.ts and the tests both apply: the HTTP contract's errors, validation, limits and docs. */
export const configureApp = (app: NestExpressApplication): NestExpressApplication => {
  app.enableShutdownHooks();
  app.disable('x-powered-by'); // which framework answers is of use to an attacker only
  app.use(app.get(HttpDrain).middleware); // every app configured here provides HttpDrain
  app.useBodyParser('json', { limit: '64kb' });
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(new InputValidationPipe());
  // The operator console, plain static files. Not @nestjs/serve-static's module: it picks its loader
  // when the module compiles, before a testing module has an HTTP adapter, and serves nothing in tests.
  app.useStaticAssets(consoleFiles(), { prefix: '/console/' });
  SwaggerModule.setup('docs', app, openApiDocument(app, app.get(Environment)));
  return app;
};

