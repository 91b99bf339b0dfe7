import { SchematicTestRunner, UnitTestTree } from '@angular-devkit/schematics/testing';
import { HostTree } from '@angular-devkit/schematics';
import * as path from 'node:path';

const collection = path.join(__dirname, 'collection.json');

/** A host module that composes Gatehouse with one call, as docs/extending.md shows. */
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

const PLAIN_MODULE = `import { Module } from '@nestjs/common';

@Module({})
export class ReportsModule {}
`;

function workspace(files: Record<string, string>): UnitTestTree {
  const tree = new UnitTestTree(new HostTree());
  for (const [file, content] of Object.entries(files)) tree.create(file, content);
  return tree;
}

describe('Gatehouse schematics', () => {
  const runner = new SchematicTestRunner('gatehouse', collection);

  it('detector: creates the rule and its spec, and adds it to the detectors of forRoot', async () => {
    const tree = await runner.runSchematic(
      'detector',
      { name: 'office-hours', module: 'src/app.module.ts' },
      workspace({ 'src/app.module.ts': HOST_MODULE }),
    );

    expect(tree.files).toEqual(
      expect.arrayContaining([
        '/src/office-hours.detector.ts',
        '/src/office-hours.detector.spec.ts',
      ]),
    );
    const detector = tree.readText('/src/office-hours.detector.ts');
    expect(detector).toContain('@ReviewDetector()');
    expect(detector).toContain('export class OfficeHoursDetector implements ReviewDetectorRule');
    expect(detector).toContain("readonly rule = 'office-hours';");
    const module = tree.readText('/src/app.module.ts');
    expect(module).toContain("import { OfficeHoursDetector } from './office-hours.detector';");
    expect(module).toContain('      globalGuard: true,\n      detectors: [OfficeHoursDetector],\n');
  });

  it('detector: appends to an existing detectors array, keeping its layout', async () => {
    const tree = await runner.runSchematic(
      'detector',
      { name: 'office-hours', path: 'src/review' },
      workspace({
        'src/app.module.ts': HOST_MODULE.replace(
          'globalGuard: true,',
          'globalGuard: true,\n      detectors: [VpnDetector],',
        ),
      }),
    );

    // No --module: the nearest module above src/review, as `nest g` finds one.
    const module = tree.readText('/src/app.module.ts');
    expect(module).toContain('detectors: [VpnDetector, OfficeHoursDetector],');
    expect(module).toContain(
      "import { OfficeHoursDetector } from './review/office-hours.detector';",
    );
    expect(tree.exists('/src/review/office-hours.detector.ts')).toBe(true);
  });

  it('detector: without a GatehouseModule call, adds it to the providers of the module', async () => {
    const tree = await runner.runSchematic(
      'detector',
      { name: 'reports/office-hours', flat: false },
      workspace({
        'src/app.module.ts': HOST_MODULE,
        'src/reports/reports.module.ts': PLAIN_MODULE,
      }),
    );

    expect(tree.exists('/src/reports/office-hours/office-hours.detector.ts')).toBe(true);
    const module = tree.readText('/src/reports/reports.module.ts');
    expect(module).toContain('@Module({ providers: [OfficeHoursDetector] })');
    expect(module).toContain(
      "import { OfficeHoursDetector } from './office-hours/office-hours.detector';",
    );
    expect(tree.readText('/src/app.module.ts')).toBe(HOST_MODULE);
  });

  it('finds app.module.ts when its folder holds other modules, and names them otherwise', async () => {
    const cli = PLAIN_MODULE.replace('ReportsModule', 'CliModule');
    const tree = await runner.runSchematic(
      'detector',
      { name: 'office-hours' },
      workspace({ 'src/app.module.ts': HOST_MODULE, 'src/cli.module.ts': cli }),
    );
    expect(tree.readText('/src/app.module.ts')).toContain('detectors: [OfficeHoursDetector],');
    expect(tree.readText('/src/cli.module.ts')).toBe(cli);

    await expect(
      runner.runSchematic(
        'detector',
        { name: 'office-hours', path: 'src/reports' },
        workspace({
          'src/reports/reports.module.ts': PLAIN_MODULE,
          'src/reports/archive.module.ts': PLAIN_MODULE,
        }),
      ),
    ).rejects.toThrow(/Several modules in \/src\/reports .*name one with --module/);
  });

  it('audit-sink: creates the sink and its contract spec, and adds it to auditSinks', async () => {
    const tree = await runner.runSchematic(
      'audit-sink',
      { name: 'siem', module: 'src/app.module.ts' },
      workspace({ 'src/app.module.ts': HOST_MODULE }),
    );

    const sink = tree.readText('/src/siem.audit-sink.ts');
    expect(sink).toContain('export class SiemAuditSink extends AuditSink');
    expect(sink).toContain("readonly name = 'siem';");
    expect(tree.readText('/src/siem.audit-sink.spec.ts')).toContain('behavesAsAuditSink');
    const module = tree.readText('/src/app.module.ts');
    expect(module).toContain("import { SiemAuditSink } from './siem.audit-sink';");
    expect(module).toContain('auditSinks: [SiemAuditSink],');
  });

  it('audit-sink: refuses a module without a GatehouseModule call, naming the option', async () => {
    await expect(
      runner.runSchematic(
        'audit-sink',
        { name: 'siem', module: 'src/reports.module.ts' },
        workspace({ 'src/reports.module.ts': PLAIN_MODULE }),
      ),
    ).rejects.toThrow(/register SiemAuditSink as `auditSinks`/);
  });

  it('users-store: creates the store and its contract spec, and sets usersStore', async () => {
    const tree = await runner.runSchematic(
      'users-store',
      { name: 'ldap', module: 'src/app.module.ts' },
      workspace({ 'src/app.module.ts': HOST_MODULE }),
    );

    expect(tree.readText('/src/ldap-users.repository.ts')).toContain(
      'export class LdapUsersRepository extends UsersRepository',
    );
    expect(tree.readText('/src/ldap-users.repository.spec.ts')).toContain(
      'behavesAsUsersRepository(() => Promise.resolve(new LdapUsersRepository()))',
    );
    const module = tree.readText('/src/app.module.ts');
    expect(module).toContain("import { LdapUsersRepository } from './ldap-users.repository';");
    expect(module).toContain('usersStore: LdapUsersRepository,');
  });

  it('users-store: refuses to replace a user store already set', async () => {
    await expect(
      runner.runSchematic(
        'users-store',
        { name: 'ldap' },
        workspace({
          'src/app.module.ts': HOST_MODULE.replace(
            'globalGuard: true,',
            'globalGuard: true,\n      usersStore: SqlUsers,',
          ),
        }),
      ),
    ).rejects.toThrow(/already sets usersStore \(usersStore: SqlUsers\)/);
  });

  it('--spec false leaves the spec out, --skip-import leaves the module alone', async () => {
    const tree = await runner.runSchematic(
      'detector',
      { name: 'office-hours', spec: false, skipImport: true },
      workspace({ 'src/app.module.ts': HOST_MODULE }),
    );

    expect(tree.exists('/src/office-hours.detector.ts')).toBe(true);
    expect(tree.exists('/src/office-hours.detector.spec.ts')).toBe(false);
    expect(tree.readText('/src/app.module.ts')).toBe(HOST_MODULE);
  });
});
