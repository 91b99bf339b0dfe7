import { HostTree } from '@angular-devkit/schematics';
import { SchematicTestRunner, UnitTestTree } from '@angular-devkit/schematics/testing';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..');
const bin = (file: string) => path.join(root, 'node_modules', file);

/** The host module the three schematics edit in turn, as a team's app would have it. */
const HOST_MODULE = `import { Module } from '@nestjs/common';
import { GatehouseModule } from 'gatehouse';
import { hostOptions } from './host.options';

@Module({
  imports: [
    GatehouseModule.forRoot({
      ...hostOptions,
      globalGuard: true,
    }),
  ],
})
export class AppModule {}
`;

const HOST_OPTIONS = `import type { GatehouseModuleOptions } from 'gatehouse';

export declare const hostOptions: GatehouseModuleOptions;
`;

/**
 * The output of all three schematics, written into a folder of the repository (so the
 * repository's eslint and prettier configuration apply), with `gatehouse` resolved to src/ as
 * an installed package resolves to dist/: it must compile, lint, be formatted and pass its
 * own specs, as a host's `npm run lint`, `npm run format` and `npm test` would demand.
 */
// Each step starts a tool on the whole program (src/ included): tens of seconds on two cores.
const TOOL_TIMEOUT_MS = 180_000;

describe('the generated code', () => {
  let workspace: string;

  beforeAll(async () => {
    const runner = new SchematicTestRunner('gatehouse', path.join(__dirname, 'collection.json'));
    let tree = new UnitTestTree(new HostTree());
    tree.create('src/app.module.ts', HOST_MODULE);
    tree.create('src/host.options.ts', HOST_OPTIONS);
    tree = await runner.runSchematic('detector', { name: 'office-hours' }, tree);
    tree = await runner.runSchematic('audit-sink', { name: 'siem' }, tree);
    tree = await runner.runSchematic('users-store', { name: 'ldap' }, tree);

    workspace = mkdtempSync(path.join(root, 'tmp-schematics-'));
    for (const file of tree.files) {
      const target = path.join(workspace, file);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, tree.readText(file));
    }
    writeFileSync(
      path.join(workspace, 'tsconfig.json'),
      JSON.stringify({
        extends: '../tsconfig.json',
        compilerOptions: {
          noEmit: true,
          incremental: false,
          rootDir: '..',
          paths: {
            gatehouse: ['../src/index.ts'],
            'gatehouse/testing': ['../src/testing/index.ts'],
          },
        },
        include: ['src/**/*.ts'],
      }),
    );
  }, TOOL_TIMEOUT_MS);

  afterAll(() => {
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('registers all three in the host module', () => {
    const module = readFileSync(path.join(workspace, 'src/app.module.ts'), 'utf8');
    expect(module).toContain('detectors: [OfficeHoursDetector],');
    expect(module).toContain('auditSinks: [SiemAuditSink],');
    expect(module).toContain('usersStore: LdapUsersRepository,');
  });

  it(
    'compiles with tsc',
    async () => {
      await expectSuccess(
        run(
          process.execPath,
          [bin('typescript/bin/tsc'), '-p', path.join(workspace, 'tsconfig.json')],
          {
            cwd: root,
          },
        ),
      );
    },
    TOOL_TIMEOUT_MS,
  );

  it(
    'passes eslint with zero warnings and prettier --check',
    async () => {
      await expectSuccess(
        run(
          process.execPath,
          [
            bin('eslint/bin/eslint.js'),
            '--max-warnings',
            '0',
            '--parser-options',
            `project:${path.join(workspace, 'tsconfig.json')}`,
            workspace,
          ],
          { cwd: root },
        ),
      );
      await expectSuccess(
        run(process.execPath, [bin('prettier/bin/prettier.cjs'), '--check', workspace], {
          cwd: root,
        }),
      );
    },
    TOOL_TIMEOUT_MS,
  );

  it(
    'passes its own specs (the detector finding, the sink and store contract suites)',
    async () => {
      // As swc-jest.config.js: the repository's .swcrc, emitting CommonJS for Jest.
      const swcrc = JSON.parse(readFileSync(path.join(root, '.swcrc'), 'utf8')) as object;
      const swc = { ...swcrc, swcrc: false, module: { type: 'commonjs' } };
      const config = {
        rootDir: workspace,
        testRegex: '.*\\.spec\\.ts$',
        testEnvironment: 'node',
        transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swc] },
        transformIgnorePatterns: [
          '/node_modules/(?!(@nestjs|@nest-lab|file-type|strtok3|token-types|uint8array-extras|@tokenizer|load-esm)/)',
        ],
        moduleNameMapper: {
          '^gatehouse$': path.join(root, 'src/index.ts'),
          '^gatehouse/testing$': path.join(root, 'src/testing/index.ts'),
        },
      };
      const { stderr } = await expectSuccess(
        run(
          process.execPath,
          [bin('jest/bin/jest.js'), '--ci', '--config', JSON.stringify(config)],
          { cwd: root },
        ),
      );
      expect(stderr).toMatch(/Tests:\s+\d+ passed, (\d+) total/);
      expect(stderr).toContain('office-hours.detector.spec.ts');
      expect(stderr).toContain('siem.audit-sink.spec.ts');
      expect(stderr).toContain('ldap-users.repository.spec.ts');
    },
    TOOL_TIMEOUT_MS,
  );
});

/** Awaits a child process and, if it failed, fails with its output (not just its exit code). */
async function expectSuccess(
  child: Promise<{ stdout: string; stderr: string }>,
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await child;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${String(error)}\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}
