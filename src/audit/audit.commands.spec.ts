import { AuditPruneCommand } from './audit.commands';
import type { AuditService } from './audit.service';

describe('gatehouse audit:prune', () => {
  let output: string[];
  let prune: jest.Mock<Promise<number>, [number, number]>;
  let command: AuditPruneCommand;

  beforeEach(() => {
    output = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
    prune = jest.fn<Promise<number>, [number, number]>().mockResolvedValue(12_345);
    command = new AuditPruneCommand({
      pruneOlderThan: prune,
      retentionDays: 90,
    } as unknown as AuditService);
  });

  afterEach(() => jest.restoreAllMocks());

  it('prunes to AUDIT_RETENTION_DAYS in batches of 5,000 by default and says how many it deleted', async () => {
    await command.run([], {});
    expect(prune).toHaveBeenCalledWith(90, 5000);
    expect(output.join('')).toBe('Deleted 12345 audit events older than 90 days\n');
  });

  it('takes --days and --batch-size, and refuses values that are not whole numbers in range', async () => {
    await command.run([], {
      days: command.parseDays('30'),
      batchSize: command.parseBatchSize('1000'),
    });
    expect(prune).toHaveBeenCalledWith(30, 1000);
    expect(() => command.parseDays('0')).toThrow('--days must be a whole number from 1 to 3650');
    expect(() => command.parseDays('7d')).toThrow();
    expect(() => command.parseBatchSize('-1')).toThrow();
  });
});
