import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { pinoHttp } from 'pino-http';
import { AppModule, applicationPort, configureApp } from './app.module.js';
import { createPino, PinoLoggerService } from './logger.js';

const bootstrap = async () => {
  const pino = createPino(process.env.LOG_LEVEL || 'info');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(), {
    logger: new PinoLoggerService(pino),
    bodyParser: false,
  });
  app.use(pinoHttp({ logger: pino, autoLogging: { ignore: (req) => req.url === '/health' } }));
  configureApp(app);
  const port = applicationPort(app);
  await app.listen(port);
  pino.info({ port }, `Eventix listening on http://localhost:${port} (OpenAPI at /docs)`);
};

bootstrap().catch((error: Error) => {
  // A configuration error names the variable; anything else gets its stack.
  process.stderr.write(`${error.name === 'ConfigurationError' ? error.message : (error.stack ?? String(error))}\n`);
  process.exit(1);
});
