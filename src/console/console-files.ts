import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One file of the built console, held in memory (the build is a few hundred KB). */
export interface ConsoleFile {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  etag: string;
  /** Vite puts a content hash in every asset name: those may be cached for a year. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);
/** `index-4f9a1c2b.js`: Vite's fingerprint, 8 url-safe characters before the extension. */
const FINGERPRINTED = /-[A-Za-z0-9_-]{8}\.[a-z0-9]+$/;

/** Where the built console is: `dist/web` beside the compiled server, or from the sources. */
export function findConsoleRoot(here: string = __dirname): string | undefined {
  for (const candidate of [join(here, '..', 'web'), join(here, '..', '..', 'dist', 'web')]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return undefined;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Every file of the build by URL path (`/assets/index-….js`), read once at start. */
export function loadConsoleFiles(root: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  for (const path of walk(root)) {
    const extension = extname(path);
    const type = TYPES[extension];
    if (type === undefined) continue;
    const body = readFileSync(path);
    const urlPath = `/${relative(root, path).split(sep).join('/')}`;
    files.set(urlPath, {
      body,
      gzip: COMPRESSIBLE.has(extension) && body.length > 512 ? gzipSync(body) : undefined,
      type,
      etag: `"${body.length.toString(16)}-${hash(body)}"`,
      immutable: urlPath.startsWith('/assets/') && FINGERPRINTED.test(urlPath),
    });
  }
  return files;
}

function hash(body: Buffer): string {
  return createHash('sha256').update(body).digest('base64url').slice(0, 16);
}
