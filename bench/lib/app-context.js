'use strict';
/**
 * Boots the built application (dist/) as a Nest application context, without HTTP, from the
 * process environment: what the CLI does, for the in-process measurements.
 */
const { join } = require('node:path');

const DIST = join(__dirname, '..', '..', 'dist');

async function bootContext() {
  const { NestFactory } = require('@nestjs/core');
  const { AppModule } = require(join(DIST, 'app.module'));
  const { loadAppConfig } = require(join(DIST, 'config'));
  const config = loadAppConfig(process.env);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger: ['error'],
  });
  return { app, config, dist: (path) => require(join(DIST, path)) };
}

module.exports = { bootContext };
