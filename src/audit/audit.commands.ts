import { Command, CommandRunner, Option } from 'nest-commander';
import { JSON_OPTION, plural, printJson, printLines, startProgress } from '../cli/index';
import { AuditService, PRUNE_BATCH_SIZE } from './audit.service';

interface PruneOptions {
  days?: number;
  batchSize?: number;
  json?: boolean;
}

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new Error(`${flag} must be a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

/**
 * `gatehouse audit:prune [--days N]`: deletes audit events older than the retention
 * (AUDIT_RETENTION_DAYS by default) in bounded batches. The nightly review calls the same
 * `AuditService.pruneOlderThan`.
 */
@Command({
  name: 'audit:prune',
  description:
    'Delete audit events older than the retention (AUDIT_RETENTION_DAYS), in bounded batches',
})
export class AuditPruneCommand extends CommandRunner {
  constructor(private readonly audit: AuditService) {
    super();
  }

  async run(_params: string[], options: PruneOptions): Promise<void> {
    const days = options.days ?? this.audit.retentionDays;
    const progress = startProgress('Pruning', 'events');
    const deleted = await this.audit
      .pruneOlderThan(
        days,
        options.batchSize ?? PRUNE_BATCH_SIZE,
        Date.now(),
        ({ deleted, total }) => progress.update(deleted, { total }),
      )
      .finally(progress.stop);
    if (options.json) printJson({ deleted, days });
    else printLines([`Deleted ${plural(deleted, 'audit event')} older than ${days} days`]);
  }

  @Option(JSON_OPTION)
  parseJson(): boolean {
    return true;
  }

  @Option({
    flags: '-d, --days <days>',
    description: 'keep this many days (default AUDIT_RETENTION_DAYS)',
  })
  parseDays(value: string): number {
    return wholeNumber('--days', value, 1, 3650);
  }

  @Option({
    flags: '--batch-size <rows>',
    description: `rows per DELETE statement (default ${PRUNE_BATCH_SIZE})`,
  })
  parseBatchSize(value: string): number {
    return wholeNumber('--batch-size', value, 1, 100_000);
  }
}

export const AUDIT_COMMANDS = [AuditPruneCommand];
