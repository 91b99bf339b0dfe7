import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { isISO8601, IsInt, Max, Min, ValidateBy, ValidationOptions } from 'class-validator';

/** A whole number as people write it in a URL: decimal digits, no sign, no leading zero. */
const DECIMAL_INTEGER = /^(0|[1-9]\d{0,15})$/;

/**
 * The one integer rule for query strings (API.md: `limit` written as `0x10`, `1e2`, `" 100"`,
 * `+5` or `5.0` is `400 VALIDATION_FAILED`). `@Type(() => Number)` would let `Number()` read all
 * of those; here only plain decimal digits become a number, anything else stays a string (or
 * an array, for a repeated parameter) and fails `IsInt`.
 */
export function IsQueryInt(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && DECIMAL_INTEGER.test(value) ? Number(value) : value,
    ),
    IsInt(),
    Min(min),
    Max(max),
  );
}

/** An ISO-8601 time the server can place on its clock; a date-time without an offset is UTC. */
export function isoTimeToUtc(value: string): string | undefined {
  if (!isISO8601(value, { strict: true, strictSeparator: true })) return undefined;
  const hasTime = value.includes('T');
  const hasOffset = /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value);
  const time = Date.parse(hasTime && !hasOffset ? `${value}Z` : value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/**
 * The one time rule for query strings: an ISO-8601 date or date-time that also parses to an
 * instant. `IsISO8601` alone passes texts such as week dates (`2026-W05`) or ordinal dates
 * that `Date` cannot read, whose `toISOString()` then threw a RangeError: a 500.
 */
export function IsIsoTime(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIsoTime',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && isoTimeToUtc(value) !== undefined,
        defaultMessage: () => '$property must be an ISO-8601 time such as 2026-01-31T23:00:00Z',
      },
    },
    options,
  );
}
