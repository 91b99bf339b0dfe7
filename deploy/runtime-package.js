#!/usr/bin/env node
// Prints the package.json of the runtime image (deploy/Dockerfile): the packed Gatehouse tarball
// plus its peer dependencies, optional ones included (one image serves SQLite, PostgreSQL and
// Redis), each pinned to the version this repository installs for itself (devDependencies, else
// dependencies), so the image runs what CI tested.
// Usage: node deploy/runtime-package.js <path of the packed tarball> > package.json
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

// The image runs Node 24, where better-sqlite3 12 aborts the process when the garbage collector
// finalizes a statement (a known 12.x bug); the peer range allows 13, which fixes it and which
// CI's Node 24 pass (.ci/node-lts) tests. The repository itself pins 12 for its Node 20 machine.
const NODE_24_PINS = { 'better-sqlite3': '13.2.0' };

function runtimePackage(pkg, tarball) {
  const pinned = { ...pkg.dependencies, ...pkg.devDependencies, ...NODE_24_PINS };
  const dependencies = { [pkg.name]: `file:./${tarball.split('/').pop()}` };
  for (const [name, range] of Object.entries(pkg.peerDependencies ?? {})) {
    dependencies[name] = pinned[name] ?? range;
  }
  return {
    name: `${pkg.name}-runtime`,
    version: pkg.version,
    private: true,
    description: `Runtime of the ${pkg.name} service image: the packed package and its peers.`,
    dependencies,
  };
}

if (require.main === module) {
  const tarball = process.argv[2];
  if (!tarball) {
    process.stderr.write('usage: node deploy/runtime-package.js <tarball>\n');
    process.exit(2);
  }
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
  process.stdout.write(`${JSON.stringify(runtimePackage(pkg, tarball), null, 2)}\n`);
}

module.exports = { runtimePackage, NODE_24_PINS };
