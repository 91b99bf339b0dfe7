import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { configureApp, createServiceApp } from './app.setup';
import { createAppLogger } from './common';
import { generatedSecretWarnings } from './config';
import { loadConfigOrExit } from './config';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createAppLogger(config.log);
  const app = await createServiceApp(config, { logger });
  for (const warning of generatedSecretWarnings) logger.warn(warning, 'Config');
  await configureApp(app, config);
  await app.listen(config.port, config.host);
  new Logger('Gatehouse').log(
    `Listening on http://${config.host}:${config.port} (${config.http.adapter}, database: ${config.database.kind})`,
  );
}

void bootstrap();
