import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadAppConfig } from './app-config';
import { allSettings } from './config.schema';
import { renderConfigurationMarkdown, renderEnvExample } from './config-docs';

const ROOT = join(__dirname, '..', '..');

describe('generated configuration docs', () => {
  // The CI drift check: regenerate with `npm run docs:config` when this fails.
  it.each([
    ['docs/configuration.md', renderConfigurationMarkdown],
    ['.env.example', renderEnvExample],
  ])('%s is what `npm run docs:config` writes from the settings table', (file, render) => {
    expect(readFileSync(join(ROOT, file), 'utf8')).toBe(render());
  });

  it('names every setting in both files', () => {
    const markdown = renderConfigurationMarkdown();
    const example = renderEnvExample();
    for (const setting of allSettings()) {
      expect(markdown).toContain(`| \`${setting.name}\` |`);
      expect(example).toMatch(new RegExp(`^(# )?${setting.name}=`, 'm'));
    }
  });

  it('.env.example copied to .env changes nothing: every line it sets is the default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-env-example-'));
    const fromExample = parseEnv(renderEnvExample()) as Record<string, string>;
    expect(Object.keys(fromExample).length).toBeGreaterThan(30);
    expect(loadAppConfig({ ...fromExample, DATA_DIR: dir })).toEqual(
      loadAppConfig({ DATA_DIR: dir }),
    );
  });
});
