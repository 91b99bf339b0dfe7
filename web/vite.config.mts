import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The console is served by the service from dist/web (see src/console). Asset names carry a
// content hash, which the server answers with a year-long immutable cache.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: resolve(import.meta.dirname, '..', 'dist', 'web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // The service's CSP allows no inline script; Vite's module preload polyfill is not inlined
    // anyway, and this keeps it out of the bundle (every supported browser has modulepreload).
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    assetsInlineLimit: 0,
  },
});
