import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Dockerfile, type Instruction } from 'dockerfile-ast';
import { parseDocument } from 'yaml';
import { loadAppConfig } from '../src/config';

/**
 * No Docker engine runs where these tests run, so deploy/ is checked statically: the compose file
 * as YAML against what docs/deployment.md promises, the Dockerfile through dockerfile-ast, and
 * nginx's forwarded headers as text. Building and starting the stack is not tested here.
 */
const ROOT = join(__dirname, '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  volumes?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
  networks: Record<string, { ipam?: { config: { subnet: string }[] } }>;
  volumes: Record<string, unknown>;
}

function loadCompose(): Compose {
  const document = parseDocument(read('deploy/compose.yaml'), { merge: true });
  expect(document.errors).toEqual([]);
  expect(document.warnings).toEqual([]);
  return document.toJS({ maxAliasCount: 100 }) as Compose;
}

function ipv4Of(service: ComposeService, network: string): string | undefined {
  const networks = service.networks;
  if (!networks || Array.isArray(networks)) return undefined;
  return networks[network]?.ipv4_address ?? undefined;
}

/** `10.0.0.0/8` contains `10.1.2.3`. IPv4 only, which is all the compose file uses. */
function inSubnet(address: string, cidr: string): boolean {
  const toInt = (ip: string) => ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(address) / size) === Math.floor(toInt(base) / size);
}

describe('deploy/compose.yaml', () => {
  const compose = loadCompose();
  const instances = ['gatehouse-a', 'gatehouse-b'];

  it('runs two Gatehouse instances, PostgreSQL, Redis and nginx', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'gatehouse-a',
      'gatehouse-b',
      'nginx',
      'postgres',
      'redis',
    ]);
  });

  it('builds the instances from deploy/Dockerfile and points them at PostgreSQL and Redis', () => {
    for (const name of instances) {
      const service = compose.services[name];
      expect(service.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(service.environment?.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
      expect(service.environment?.REDIS_URL).toBe('redis://redis:6379');
      expect(service.environment?.NODE_ENV).toBe('production');
      expect(service.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
  });

  it('gives both instances the same secrets, from the environment, never a literal', () => {
    for (const variable of ['JWT_SECRET', 'AUDIT_SEAL_KEY']) {
      const values = instances.map((name) => compose.services[name].environment?.[variable]);
      expect(values[0]).toBe(`\${${variable}:?set ${variable}}`);
      expect(values[1]).toBe(values[0]);
    }
  });

  it("trusts exactly nginx's fixed address as proxy, on the network both share", () => {
    const nginx = compose.services.nginx;
    const address = ipv4Of(nginx, 'internal');
    expect(address).toBeDefined();
    const subnet = compose.networks.internal.ipam?.config[0].subnet;
    expect(inSubnet(address!, subnet!)).toBe(true);
    for (const name of instances) {
      const environment = compose.services[name].environment!;
      expect(environment.TRUST_PROXY).toBe(address);
      expect(compose.services[name].networks).toEqual(['internal']);
      expect(compose.services[name].ports).toBeUndefined();
    }
  });

  it('sets an environment that the configuration loader accepts as is', () => {
    const environment = {
      ...compose.services['gatehouse-a'].environment,
      JWT_SECRET: 'Zx9-Qw7!Lm3#Vb8$Ty2%kq4^Hn6&Rp1*',
      AUDIT_SEAL_KEY: 'Ab3$Cd5%Ef7^Gh9&Ij2*Kl4(Mn6)Op8-seal',
      BOOTSTRAP_ADMIN_PASSWORD: 'a long passphrase of your own',
    };
    const config = loadAppConfig(environment);
    expect(config.http.trustProxy).toEqual([ipv4Of(compose.services.nginx, 'internal')]);
    expect(config.database.kind).toBe('postgres');
    expect(config.cookies.secure).toBe(true);
  });

  it('keeps one audit folder per instance and shares the reports', () => {
    const volumesOf = (name: string) => compose.services[name].volumes ?? [];
    const audit = instances.map((name) =>
      volumesOf(name).find((volume) => volume.endsWith(':/var/log/gatehouse')),
    );
    expect(audit[0]).toBeDefined();
    expect(audit[0]).not.toBe(audit[1]);
    for (const name of instances) {
      expect(volumesOf(name)).toContain('reports:/srv/gatehouse/reports');
    }
    const named = Object.values(compose.services)
      .flatMap((service) => service.volumes ?? [])
      .map((volume) => volume.split(':')[0])
      .filter((source) => !source.startsWith('.'));
    expect(Object.keys(compose.volumes).sort()).toEqual([...new Set(named)].sort());
  });

  it('health-checks PostgreSQL and Redis, and starts nginx only once both instances are healthy', () => {
    expect(compose.services.postgres.healthcheck?.test[1]).toBe('pg_isready');
    expect(compose.services.redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(compose.services.nginx.depends_on).toEqual({
      'gatehouse-a': { condition: 'service_healthy' },
      'gatehouse-b': { condition: 'service_healthy' },
    });
  });

  it('mounts the nginx configuration that exists in deploy/', () => {
    expect(compose.services.nginx.volumes).toContain(
      './nginx.conf:/etc/nginx/conf.d/default.conf:ro',
    );
    expect(read('deploy/nginx.conf')).toContain('server gatehouse-a:3000');
    expect(read('deploy/nginx.conf')).toContain('server gatehouse-b:3000');
  });
});

describe('deploy/nginx.conf', () => {
  const conf = read('deploy/nginx.conf');

  it('overwrites X-Forwarded-For with the address it sees (one trusted hop, never appended)', () => {
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
    expect(conf).not.toMatch(/\$proxy_add_x_forwarded_for/);
    expect(conf).toMatch(/proxy_set_header Host \$host;/);
    expect(conf).toMatch(/proxy_set_header X-Forwarded-Proto \$scheme;/);
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile: Dockerfile = DockerfileParser.parse(read('deploy/Dockerfile'));
  const stages = dockerfile.getFROMs();
  const runtimeStart = stages[stages.length - 1].getRange().start.line;
  const runtime = dockerfile
    .getInstructions()
    .filter((instruction) => instruction.getRange().start.line >= runtimeStart);
  const keyword = (instructions: Instruction[], name: string) =>
    instructions.filter((instruction) => instruction.getKeyword() === name);
  const args = (instruction: Instruction) => instruction.getArgumentsContent() ?? '';

  it('has a build stage, a dependency stage and a runtime stage, all on node:24', () => {
    expect(stages.map((from) => from.getBuildStage())).toEqual(['build', 'deps', 'runtime']);
    for (const from of stages) {
      expect(from.getImageName()).toBe('node');
      expect(from.getImageTag()).toMatch(/^24(\.|-|$)/);
    }
  });

  it('copies between stages only from stages it defines', () => {
    const names = new Set(stages.map((from) => from.getBuildStage()));
    for (const copy of keyword(dockerfile.getInstructions(), 'COPY')) {
      const from = /--from=(\S+)/.exec(copy.getTextContent())?.[1];
      if (from) expect(names).toContain(from);
    }
  });

  it('installs the packed package and its peers with npm ci --omit=dev', () => {
    const run = keyword(dockerfile.getInstructions(), 'RUN').map(args).join('\n');
    expect(run).toContain('npm pack');
    expect(run).toContain('node deploy/runtime-package.js');
    expect(run).toMatch(/npm ci --omit=dev/);
  });

  it('runs the installed package as a non-root user, with no compiler in the runtime image', () => {
    const users = keyword(runtime, 'USER').map(args);
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    const userLine = keyword(runtime, 'USER')[0].getRange().start.line;
    const cmd = keyword(runtime, 'CMD');
    expect(cmd).toHaveLength(1);
    expect(cmd[0].getRange().start.line).toBeGreaterThan(userLine);
    expect(args(cmd[0])).toContain('node_modules/gatehouse/dist/main.js');
    expect(keyword(runtime, 'RUN').map(args).join('\n')).not.toMatch(/apt-get|g\+\+/);
  });

  it('health-checks /health/ready', () => {
    const healthcheck = keyword(runtime, 'HEALTHCHECK');
    expect(healthcheck).toHaveLength(1);
    expect(healthcheck[0].getTextContent()).toContain('/health/ready');
    expect(healthcheck[0].getTextContent()).toMatch(/--interval=\S+/);
  });

  it('ships what the CMD runs: dist is in the package files, and the package is named gatehouse', () => {
    const pkg = JSON.parse(read('package.json')) as { name: string; files?: string[] };
    expect(pkg.name).toBe('gatehouse');
    expect(pkg.files).toContain('dist');
  });
});

describe('the packed package the image installs', () => {
  it('holds the server and CLI entries the image runs, and no sources, tests or CI files', () => {
    // Needs the build (npm test builds first), as the image's build stage does.
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(pack.status).toBe(0);
    const [{ files }] = JSON.parse(pack.stdout) as [{ files: { path: string }[] }];
    const paths = files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'dist/main.js', 'dist/cli.js']));
    expect(paths.filter((path) => /^(src|test|bench|\.ci|deploy)\//.test(path))).toEqual([]);
    expect(paths.filter((path) => /\.spec\.js$/.test(path))).toEqual([]);
  });
});

describe('deploy/runtime-package.js', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain CommonJS script
  const { runtimePackage } = require('../deploy/runtime-package.js') as {
    runtimePackage: (
      pkg: Record<string, unknown>,
      tarball: string,
    ) => { dependencies: Record<string, string> };
  };

  it('depends on the tarball and on every peer, pinned to the version the repository uses', () => {
    const manifest = runtimePackage(
      {
        name: 'gatehouse',
        version: '1.2.3',
        dependencies: { kysely: '0.28.16' },
        peerDependencies: { '@nestjs/core': '^12.0.0', pg: '^8', rxjs: '^7' },
        devDependencies: { '@nestjs/core': '12.5.1', pg: '8.23.1' },
      },
      '/pack/gatehouse.tgz',
    );
    expect(manifest.dependencies).toEqual({
      gatehouse: 'file:./gatehouse.tgz',
      '@nestjs/core': '12.5.1',
      pg: '8.23.1',
      rxjs: '^7',
    });
  });
});
