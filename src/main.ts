import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, configureApp } from './app.module.js';
import { ConfigurationError, validateEnvironment } from './config.js';
import { createPino, PinoLoggerService, requestLogger } from './logger.js';

const bootstrap = async () => {
  // Checked here first so that a bad variable stops the service with its name, before anything starts.
  const env = validateEnvironment(process.env);
  const pino = createPino(env.LOG_LEVEL);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(), {
    logger: new PinoLoggerService(pino),
    bodyParser: false,
    rawBody: true, // the payment webhook's signature covers the raw bytes
  });
  app.use(requestLogger(pino));
  configureApp(app);
  await app.listen(env.PORT);
  pino.info({ port: env.PORT }, `Eventix listening on http://localhost:${env.PORT} (OpenAPI at /docs)`);
};

bootstrap().catch((error: Error) => {
  process.stderr.write(`${error instanceof ConfigurationError ? error.message : (error.stack ?? String(error))}\n`);
  process.exit(1);
});
