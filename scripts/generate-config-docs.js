#!/usr/bin/env node
// `npm run docs:config`: writes docs/configuration.md and .env.example from the settings table
// (src/config/config.schema.ts, compiled by `nest build` first). With --check it writes nothing
// and exits 1 when a committed file differs (config-docs.spec.ts checks the same in npm test).
const { readFileSync, writeFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const { renderConfigurationMarkdown, renderEnvExample } = require(
  join(root, 'dist', 'config', 'config-docs.js'),
);

const check = process.argv.includes('--check');
const outputs = [
  ['docs/configuration.md', renderConfigurationMarkdown()],
  ['.env.example', renderEnvExample()],
];
let stale = 0;
for (const [file, text] of outputs) {
  const path = join(root, file);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === text) continue;
  if (check) {
    stale += 1;
    process.stderr.write(`${file} is out of date: run npm run docs:config\n`);
  } else {
    writeFileSync(path, text);
    process.stdout.write(`wrote ${file}\n`);
  }
}
process.exit(stale > 0 ? 1 : 0);
