import {
  IsIn,
  IsIP,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  registerDecorator,
  ValidationArguments,
  ValidationOptions,
} from 'class-validator';
import { isIPv4 } from 'node:net';
import {
  AUDIT_EVENT_TYPES,
  AUDIT_OUTCOMES,
  type AuditEventType,
  type AuditOutcome,
  canonicalIp,
  IsCursor,
  IsIsoTime,
  IsQueryInt,
  isoTimeToUtc,
} from '../common';
import type { AuditEvent } from './audit-event';
import type { AuditEventFilter } from './audit.repository';

export const AUDIT_EVENTS_DEFAULT_LIMIT = 50;
export const AUDIT_EVENTS_MAX_LIMIT = 500;

/**
 * An ISO-8601 text as the exact UTC form of the table (`…T…Z`). A date and time without an
 * offset is taken as UTC, never as the server's local time.
 */
export function toUtcInstant(value: string): string {
  const instant = isoTimeToUtc(value);
  if (instant === undefined) throw new RangeError('not an ISO-8601 time');
  return instant;
}

function IsNotBefore(property: string, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isNotBefore',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [property],
      options: { message: `$property must not be before ${property}`, ...options },
      validator: {
        validate(value: unknown, args: ValidationArguments): boolean {
          const other = (args.object as Record<string, unknown>)[property];
          if (typeof value !== 'string' || typeof other !== 'string') return true;
          const [end, start] = [isoTimeToUtc(value), isoTimeToUtc(other)];
          // A bound that is not a time is IsIsoTime's to report.
          return end === undefined || start === undefined || end >= start;
        },
      },
    });
}

/** `GET /audit/events` query; anything else is `400 VALIDATION_FAILED`. */
export class AuditEventsQueryDto {
  /** One OWASP event type. */
  @IsOptional()
  @IsIn(AUDIT_EVENT_TYPES)
  type?: AuditEventType;

  /** Matched on the normalised username (NFKC, trimmed, lower-case). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  @Matches(/\S/, { message: 'username must not be blank' })
  username?: string;

  /** The client IP as recorded (after TRUST_PROXY). */
  @IsOptional()
  @IsIP()
  ip?: string;

  @IsOptional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;

  /** Inclusive lower bound, ISO-8601 (a time without an offset is UTC). */
  @IsOptional()
  @IsIsoTime()
  from?: string;

  /** Exclusive upper bound, ISO-8601 (a time without an offset is UTC). */
  @IsOptional()
  @IsIsoTime()
  @IsNotBefore('from')
  to?: string;

  /** Page size, 1..500 (default 50). */
  @IsOptional()
  @IsQueryInt(1, AUDIT_EVENTS_MAX_LIMIT)
  limit: number = AUDIT_EVENTS_DEFAULT_LIMIT;

  /** `nextCursor` of the previous page. */
  @IsOptional()
  @IsCursor()
  cursor?: string;
}

/**
 * The canonical spelling of the filtered IP (as events are now recorded), plus the IPv4-mapped
 * one that events recorded before canonicalisation may carry.
 */
function ipSpellings(ip: string): string[] {
  const canonical = canonicalIp(ip) ?? ip.toLowerCase();
  return isIPv4(canonical) ? [canonical, `::ffff:${canonical}`] : [canonical];
}

/** The repository filter for a validated query. */
export function toAuditEventFilter(
  query: AuditEventsQueryDto,
  normalizeUsername: (raw: string) => string,
): AuditEventFilter {
  const filter: AuditEventFilter = {};
  if (query.type !== undefined) filter.type = query.type;
  if (query.username !== undefined) filter.username = normalizeUsername(query.username);
  if (query.ip !== undefined) filter.ip = ipSpellings(query.ip);
  if (query.outcome !== undefined) filter.outcome = query.outcome;
  if (query.from !== undefined) filter.from = toUtcInstant(query.from);
  if (query.to !== undefined) filter.to = toUtcInstant(query.to);
  return filter;
}

/** `{ items, nextCursor }`, as every list of API.md. */
export class AuditEventsPageDto {
  items: AuditEvent[];
  nextCursor: string | null;
}
