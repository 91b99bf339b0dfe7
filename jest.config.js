// Nest 12 ships ESM only; Jest's loader cannot require ESM on Node 20, so swc transforms
// @nestjs/* (and their ESM-only dependencies) to CommonJS along with our own code.
const swc = ['@swc/jest', { ...require('./swc-jest.config.js') }];
// @fastify/cookie loads the ESM-only `cookie` 2 with a dynamic import, and @fastify/static
// requires the ESM-only `content-disposition` 2 (Node 20.19 can, Jest's loader cannot): swc
// turns them into CommonJS too.
const transformIgnorePatterns = [
  '/node_modules/(?!(@nestjs|@nest-lab|@fastify/cookie|@fastify/static|cookie|content-disposition|file-type|strtok3|token-types|uint8array-extras|@tokenizer|load-esm)/)',
];

const common = {
  moduleFileExtensions: ['js', 'json', 'ts', 'mjs'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns,
  testEnvironment: 'node',
};

module.exports = {
  // Two cores: one suite per core; e2e suites start their own servers.
  maxWorkers: 2,
  // A global option (Jest ignores it inside `projects`): e2e hooks start real servers and
  // databases, which take more than the 5 s default on a busy 2-core machine.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', rootDir: 'src', testRegex: '.*\\.spec\\.ts$' },
    // The Nest CLI schematics the package ships (schematics/collection.json), with the
    // SchematicTestRunner; generated-code.spec.ts also compiles, lints and runs their output.
    {
      ...common,
      displayName: 'schematics',
      rootDir: 'schematics',
      testRegex: '.*\\.spec\\.ts$',
      // @angular-devkit/schematics requires ESM-only packages (magic-string, ora and its
      // dependencies): swc transforms all of node_modules here but the big CommonJS ones.
      transformIgnorePatterns: ['/node_modules/(typescript|rxjs|ajv|jsonc-parser|@swc|@jest)/'],
    },
    {
      ...common,
      displayName: 'e2e',
      rootDir: 'test',
      testRegex: '.*\\.e2e-spec\\.ts$',
    },
    {
      ...common,
      // The console in Debian's Chromium against the built server (dist/ and dist/web).
      displayName: 'browser',
      rootDir: 'test',
      testRegex: '.*\\.browser-spec\\.ts$',
      testTimeout: 60_000,
    },
  ],
};
