import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { createAppLogger } from './common';
import { generatedSecretWarnings } from './config';
import { loadConfigOrExit } from './config';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createAppLogger(config.log);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger,
    bodyParser: false,
  });
  for (const warning of generatedSecretWarnings) logger.warn(warning, 'Config');
  configureApp(app, config);
  await app.listen(config.port, config.host);
  new Logger('Gatehouse').log(
    `Listening on http://${config.host}:${config.port} (database: ${config.database.kind})`,
  );
}

void bootstrap();
