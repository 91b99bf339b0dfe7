import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { createAppLogger } from './common';
import { AppConfig, ConfigError, generatedSecretWarnings, loadAppConfig } from './config';

/** Reads `.env` when present, then validates every setting once; a bad one ends the process. */
export function loadConfigOrExit(): AppConfig {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadAppConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

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
  new Logger('Gatehouse').log(`Listening on http://${config.host}:${config.port} (database: ${config.database.kind})`);
}

void bootstrap();
