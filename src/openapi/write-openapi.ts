import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { loadAppConfig } from '../config';
import { buildOpenApiDocument, packageVersion } from './openapi.document';

/** Where the committed document lives, from `dist/openapi/` or `src/openapi/` alike. */
export const OPENAPI_FILE = resolve(__dirname, '..', '..', 'docs', 'openapi.json');

/**
 * The document as the code describes it, with the plain cookie names. The app is created in
 * preview mode: modules and controllers are scanned, but no provider is instantiated, so no
 * database is opened, no file written and no port listened on. The settings only have to
 * pass validation; they point at a temporary folder in case anything looks at them.
 */
export async function renderOpenApi(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-openapi-'));
  try {
    const config = loadAppConfig({
      NODE_ENV: 'test',
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: `sqlite:${join(dir, 'data', 'gatehouse.db')}`,
      AUDIT_LOG_DIR: join(dir, 'logs'),
      REPORT_DIR: join(dir, 'reports'),
      // The console is static files, not part of the API document.
      WEB_ENABLED: 'false',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      AUDIT_SEAL_KEY: randomBytes(32).toString('base64url'),
    });
    const app = await NestFactory.create(AppModule.forRoot(config), {
      preview: true,
      logger: false,
      abortOnError: false,
    });
    const document = buildOpenApiDocument(app, {
      secureCookies: false,
      version: packageVersion(),
    });
    await app.close();
    return `${JSON.stringify(document, null, 2)}\n`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `node dist/openapi/write-openapi.js [--check]`: write the file, or fail when it drifted. */
async function main(argv: string[]): Promise<number> {
  const rendered = await renderOpenApi();
  if (argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(OPENAPI_FILE, 'utf8');
    } catch {
      // Missing counts as drift.
    }
    if (committed !== rendered) {
      process.stderr.write(
        'docs/openapi.json differs from what the code produces; run `npm run docs:openapi` and commit it.\n',
      );
      return 1;
    }
    process.stdout.write('docs/openapi.json is up to date\n');
    return 0;
  }
  writeFileSync(OPENAPI_FILE, rendered);
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
