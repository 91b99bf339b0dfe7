import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
};

/** Runs a CommonJS snippet in a fresh Node from the package root (self-reference by name). */
function node(script: string): string {
  return execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
}

describe('the npm package (issue 11)', () => {
  it('resolves `gatehouse` and `gatehouse/testing` through its exports', () => {
    const out = node(
      "const g = require('gatehouse'); const t = require('gatehouse/testing');" +
        'console.log(typeof g.AuthModule, typeof g.UsersRepository, typeof t.behavesAsThrottleStore,' +
        ' typeof t.behavesAsUsersRepository, typeof t.behavesAsAuditSink)',
    );
    expect(out.trim()).toBe('function function function function function');
  });

  it('keeps every @nestjs package, reflect-metadata and rxjs out of dependencies (peers, pinned for dev)', () => {
    const shared = Object.keys(manifest.devDependencies).filter(
      (name) =>
        (name.startsWith('@nestjs/') &&
          !['@nestjs/cli', '@nestjs/schematics', '@nestjs/testing'].includes(name)) ||
        name === 'reflect-metadata' ||
        name === 'rxjs',
    );
    expect(shared).toEqual(
      expect.arrayContaining(['@nestjs/core', '@nestjs/common', '@nestjs/jwt']),
    );
    for (const name of shared) {
      expect(manifest.dependencies[name]).toBeUndefined();
      expect(manifest.peerDependencies[name]).toBeDefined();
    }
    expect(manifest.peerDependencies['@nestjs/core']).toBe('^12.0.0');
    for (const driver of ['better-sqlite3', 'pg', 'ioredis']) {
      expect(manifest.dependencies[driver]).toBeUndefined();
      expect(manifest.peerDependenciesMeta[driver]).toEqual({ optional: true });
    }
  });

  it('packs dist, docs, README and LICENSE only: no sources, tests, benches or CI', () => {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: root,
        encoding: 'utf8',
      }),
    ) as { files: { path: string }[] }[];
    const paths = packed.files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/testing/index.js',
        'dist/cli.js',
      ]),
    );
    const stray = paths.filter(
      (path) =>
        !/^(dist|docs|schematics)\//.test(path) &&
        !['LICENSE', 'README.md', 'package.json'].includes(path),
    );
    expect(stray).toEqual([]);
    // Spec templates the schematics generate for a host are content, not our tests.
    expect(
      paths.filter((path) => /\.spec\.|tsbuildinfo/.test(path) && !path.endsWith('.template')),
    ).toEqual([]);
  });

  it("pins examples/consumer's @nestjs packages, reflect-metadata and rxjs to the repository's", () => {
    const example = JSON.parse(
      readFileSync(join(root, 'examples/consumer/package.json'), 'utf8'),
    ) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const pinned = { ...example.dependencies, ...example.devDependencies };
    const shared = Object.keys(pinned).filter((name) => name !== 'gatehouse');
    expect(shared.length).toBeGreaterThan(10);
    for (const name of shared) {
      expect([name, pinned[name]]).toEqual([name, manifest.devDependencies[name]]);
    }
    // Every peer the package requires is installed by the example itself.
    const required = Object.keys(manifest.peerDependencies).filter(
      (name) => !manifest.peerDependenciesMeta[name]?.optional,
    );
    expect(required.filter((name) => !(name in example.dependencies))).toEqual([]);
  });

  it("shows examples/consumer's files, unchanged, in the README's example", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Use it in your own Nest app'),
      readme.indexOf('## Configuration'),
    );
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)\n```/g)].map((match) => match[1]);
    const files = ['app.module.ts', 'roles.ts', 'reports.controller.ts', 'main.ts', 'cli.ts'];
    expect(blocks).toEqual(
      files.map((file) =>
        readFileSync(join(root, 'examples/consumer/src', file), 'utf8').replace(/\n$/, ''),
      ),
    );
  });
});
