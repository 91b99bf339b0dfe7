import { allSettings, Named, Setting, SETTING_SECTIONS } from './config.schema';

/**
 * Renders docs/configuration.md and .env.example from the settings table. Both files are
 * generated (`npm run docs:config`); config-docs.spec.ts fails when a committed copy drifts.
 */

const GENERATED_NOTE =
  'Generated from src/config/config.schema.ts by `npm run docs:config`; do not edit by hand.';

function durationText(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** The type column: the parser that reads the value, with its bounds. */
export function typeText(setting: Setting): string {
  switch (setting.type) {
    case 'integer':
      return `integer ${setting.min}..${setting.max}`;
    case 'duration':
      return `duration ${durationText(setting.min ?? 1)}..${durationText(setting.max ?? 366 * 86400)}`;
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'list':
      return 'list';
    case 'enum':
      return setting.values.map((value) => `\`${value}\``).join(', ');
    case 'secret':
      return 'secret';
  }
}

/** The value written in .env.example, or undefined when the line is commented out. */
function exampleValue(setting: Setting): string | undefined {
  if (setting.defaultText !== undefined) return undefined;
  switch (setting.type) {
    case 'integer':
    case 'duration':
    case 'enum':
      return String(setting.default);
    case 'boolean':
      return String(setting.default);
    case 'string':
      return setting.default;
    default:
      return undefined;
  }
}

function defaultText(setting: Setting): string {
  if (setting.defaultText !== undefined) return setting.defaultText;
  switch (setting.type) {
    case 'secret':
      return 'generated in development; **required in production**';
    case 'list':
      return 'empty';
    case 'string':
      return setting.default === undefined ? 'unset' : `\`${setting.default}\``;
    default:
      return `\`${String(setting.default)}\``;
  }
}

function meaningText(setting: Setting): string {
  return setting.format ? `${setting.meaning} Format: ${setting.format}.` : setting.meaning;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function bySection(): Map<string, Named[]> {
  const sections = new Map<string, Named[]>(SETTING_SECTIONS.map((name) => [name, []]));
  for (const setting of allSettings()) sections.get(setting.section)!.push(setting);
  return sections;
}

export function renderConfigurationMarkdown(): string {
  const out = [
    '# Configuration',
    '',
    `<!-- ${GENERATED_NOTE} -->`,
    '',
    'Every setting is read once at start from the environment (and from `.env` in the working',
    'folder when present; [`.env.example`](../.env.example) lists them all with their defaults),',
    'validated and typed. A bad value stops the process with one line naming the variable and the',
    'reason, for example',
    '`Invalid configuration: JWT_ACCESS_TTL must be a duration such as 30s, 15m, 12h, 7d or whole seconds, got "15 minutes"`.',
    '',
    'Formats:',
    '',
    '- **duration**: `30s`, `15m`, `12h`, `7d` or a whole number of seconds, within the bounds shown;',
    '- **list**: comma-separated, spaces around items ignored;',
    '- **boolean**: `true`, `false`, `1`, `0`, `yes`, `no`, `on`, `off`;',
    '- **secret**: at least 32 bytes and no placeholder; generated once into',
    '  `DATA_DIR/secrets.json` outside production, required in production.',
    '',
    'An empty value counts as unset. This page is generated from the table in',
    '`src/config/config.schema.ts`, which the configuration loader reads its defaults and bounds',
    'from; `npm run docs:config` rewrites it and `.env.example`, and a test fails when either is',
    'out of date.',
  ];
  for (const [section, settings] of bySection()) {
    if (settings.length === 0) continue;
    out.push(
      '',
      `## ${section}`,
      '',
      '| variable | type | default | meaning |',
      '|---|---|---|---|',
    );
    for (const setting of settings) {
      out.push(
        `| \`${setting.name}\` | ${cell(typeText(setting))} | ${cell(defaultText(setting))} | ${cell(meaningText(setting))} |`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

/** Wraps a comment at 100 columns, each line starting with `# `. */
function comment(text: string): string[] {
  const plain = text.replace(/`/g, '');
  const lines: string[] = [];
  let line = '#';
  for (const word of plain.split(/\s+/)) {
    if (line.length + 1 + word.length > 100 && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

export function renderEnvExample(): string {
  const out = [
    '# Gatehouse configuration. Copy to .env (read at start) or set in the environment.',
    `# ${GENERATED_NOTE}`,
    '# Every line that is set holds the default; commented lines are unset by default.',
    '# Durations take 30s, 15m, 12h, 7d or whole seconds; lists are comma-separated.',
    '# Reference: docs/configuration.md',
  ];
  for (const [section, settings] of bySection()) {
    if (settings.length === 0) continue;
    out.push('', `# --- ${section}`);
    for (const setting of settings) {
      const parts = [setting.meaning];
      if (setting.defaultText !== undefined) parts.push(`Default: ${setting.defaultText}.`);
      out.push(...comment(parts.join(' ')));
      const value = exampleValue(setting);
      out.push(
        value === undefined
          ? `# ${setting.name}=${setting.example ?? ''}`
          : `${setting.name}=${value}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}
