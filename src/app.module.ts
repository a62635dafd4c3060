import { type DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { CqrsModule } from '@nestjs/cqrs';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { migrations } from '../migrations/all.js';
import { type Environment, validateEnvironment } from './config.js';
import { ensureDatabase } from './database.js';
import { HealthController } from './health.controller.js';
import { ProblemDetailsFilter } from './problem-details.filter.js';
import { EventStoreModule } from './write/event-store/event-store.module.js';

const readModelDatabase = TypeOrmModule.forRootAsync({
  inject: [ConfigService],
  useFactory: async (config: ConfigService<Environment, true>) => {
    const url = config.get('DATABASE_URL', { infer: true });
    await ensureDatabase(url);
    return {
      type: 'postgres' as const,
      url,
      applicationName: 'eventix-read-models',
      migrations,
      migrationsRun: true,
      autoLoadEntities: true,
      extra: { max: 10 },
    };
  },
});

@Module({})
export class AppModule {
  /** Reads and checks the environment when called, not when this file is imported. */
  static register(): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment }),
        CqrsModule.forRoot(),
        readModelDatabase,
        TerminusModule.forRoot({ errorLogStyle: 'pretty' }),
        EventStoreModule,
      ],
      controllers: [HealthController],
    };
  }
}

/** What main.ts and the tests both apply: the HTTP contract's errors, validation, limits and docs. */
export const configureApp = (app: NestExpressApplication): NestExpressApplication => {
  app.enableShutdownHooks();
  app.useBodyParser('json', { limit: '64kb' });
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Eventix booking core')
      .setDescription('Event-sourced booking: commands append events; queries read projected read models.')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
};

