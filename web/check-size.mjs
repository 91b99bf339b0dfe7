// The console's first page (HTML + the scripts and styles it loads) must stay under 150 KB
// gzip-compressed (DESIGN.md). Run after the build; exits 1 over the budget.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 150 * 1024;
const root = join(import.meta.dirname, '..', 'dist', 'web');
const html = readFileSync(join(root, 'index.html'));
const assets = [...html.toString().matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map(
  (m) => m[1],
);
// Chunks the entry imports statically load with it: follow `import … from "./x.js"` too.
const seen = new Set(assets);
for (let i = 0; i < assets.length; i++) {
  if (!assets[i].endsWith('.js')) continue;
  const text = readFileSync(join(root, assets[i])).toString();
  for (const match of text.matchAll(
    /(?:^|[;\s])import\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+\.js)["']/g,
  )) {
    const path = `/assets/${match[1]}`;
    if (!seen.has(path)) {
      seen.add(path);
      assets.push(path);
    }
  }
}
const rows = [['index.html', html]].concat(
  assets.map((path) => [path, readFileSync(join(root, path))]),
);
let total = 0;
for (const [name, body] of rows) {
  const size = gzipSync(body, { level: 9 }).length;
  total += size;
  console.log(
    `  ${name.padEnd(40)} ${(body.length / 1024).toFixed(1).padStart(7)} KB  gzip ${(size / 1024).toFixed(1).padStart(6)} KB`,
  );
}
console.log(
  `console first page: ${(total / 1024).toFixed(1)} KB gzip (budget ${BUDGET / 1024} KB)`,
);
if (total > BUDGET) {
  console.error('The console first page is over its 150 KB budget.');
  process.exit(1);
}
