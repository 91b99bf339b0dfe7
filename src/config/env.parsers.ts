/**
 * Parsers for the settings formats of API.md: durations (`30s`, `15m`, `12h`, `7d` or whole
 * seconds), comma-separated lists, booleans and bounded integers. Each throws a
 * ConfigError naming the variable, so a bad value stops the process with one clear line.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses a duration and returns it in seconds. */
export function parseDurationSeconds(value: string): number | undefined {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * DURATION_UNITS[match[2] || 's'];
}

export class EnvReader {
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value))
      throw new ConfigError(name, `must be a whole number, got "${value}"`);
    const parsed = Number(value);
    if (parsed < min || parsed > max) {
      throw new ConfigError(name, `must be between ${min} and ${max}, got ${parsed}`);
    }
    return parsed;
  }

  /** A duration, returned in seconds. */
  duration(name: string, fallback: string, minSeconds = 1, maxSeconds = 366 * 86400): number {
    const value = this.raw(name) ?? fallback;
    const seconds = parseDurationSeconds(value);
    if (seconds === undefined) {
      throw new ConfigError(
        name,
        `must be a duration such as 30s, 15m, 12h, 7d or whole seconds, got "${value}"`,
      );
    }
    if (seconds < minSeconds || seconds > maxSeconds) {
      throw new ConfigError(
        name,
        `must be between ${minSeconds}s and ${maxSeconds}s, got ${seconds}s`,
      );
    }
    return seconds;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    throw new ConfigError(name, `must be true or false, got "${value}"`);
  }

  list(name: string, fallback: string[] = []): string[] {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.raw(name) ?? fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
    }
    return value as T;
  }
}
