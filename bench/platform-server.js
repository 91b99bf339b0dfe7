'use strict';
/**
 * The service as `node dist/main.js` runs it (HTTP_ADAPTER picks Express or Fastify), plus one
 * trivial `@Public()` route that answers a constant without touching the database:
 * `GET /bench/constant`, the ceiling a protected route is measured against in scenario (p).
 * Bench-only: the service itself has no such route.
 */
require('reflect-metadata');
const { Controller, Get, Module } = require('@nestjs/common');
const { AppModule } = require('../dist/app.module');
const { configureApp, createServiceApp } = require('../dist/app.setup');
const { Public } = require('../dist/common');
const { loadConfigOrExit } = require('../dist/config/load-config-or-exit');

class ConstantController {
  constant() {
    return { ok: true };
  }
}
const descriptor = Object.getOwnPropertyDescriptor(ConstantController.prototype, 'constant');
Get('constant')(ConstantController.prototype, 'constant', descriptor);
Public()(ConstantController.prototype, 'constant', descriptor);
Controller('bench')(ConstantController);

async function main() {
  const config = loadConfigOrExit();
  class BenchModule {}
  Module({ imports: [AppModule.forRoot(config)], controllers: [ConstantController] })(BenchModule);
  const app = await createServiceApp(config, { logger: ['error', 'warn'] }, BenchModule);
  await configureApp(app, config);
  await app.listen(config.port, config.host);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
