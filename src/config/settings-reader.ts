import type {
  BooleanSetting,
  DurationSetting,
  EnumSetting,
  IntegerSetting,
  ListSetting,
  Named,
  StringSetting,
} from './config.schema';
import { EnvReader } from './env.parsers';

/**
 * Reads a setting of the table (config.schema.ts) with its own default and bounds, so neither
 * is written twice. A `fallback` is given only where the default depends on another setting.
 */
export class SettingsReader {
  constructor(readonly env: EnvReader) {}

  integer(setting: Named<IntegerSetting>): number {
    return this.env.int(setting.name, setting.default, setting.min, setting.max);
  }

  /** In seconds. */
  duration(setting: Named<DurationSetting>): number {
    return this.env.duration(setting.name, setting.default, setting.min, setting.max);
  }

  boolean(setting: Named<BooleanSetting>, fallback = setting.default): boolean {
    return this.env.bool(setting.name, fallback);
  }

  string(setting: Named<StringSetting> & { default: string }): string {
    return this.env.string(setting.name, setting.default);
  }

  optional(setting: Named<StringSetting> & { default: undefined }): string | undefined {
    return this.env.optionalString(setting.name);
  }

  list(setting: Named<ListSetting>): string[] {
    return this.env.list(setting.name);
  }

  oneOf<S extends Named<EnumSetting>>(
    setting: S,
    fallback: S['values'][number] = setting.default,
  ): S['values'][number] {
    return this.env.oneOf(setting.name, fallback, setting.values);
  }
}
