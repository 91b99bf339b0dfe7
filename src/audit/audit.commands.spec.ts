import { AuditPruneCommand } from './audit.commands';
import type { AuditService } from './audit.service';

type PruneProgress = (progress: { deleted: number; total: number }) => void;

describe('gatehouse audit:prune', () => {
  let output: string[];
  let errors: string[];
  let prune: jest.Mock<Promise<number>, [number, number, number, PruneProgress]>;
  let command: AuditPruneCommand;

  beforeEach(() => {
    output = [];
    errors = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    });
    // The service reports the COUNT first, then the running total after each DELETE.
    prune = jest
      .fn<Promise<number>, [number, number, number, PruneProgress]>()
      .mockImplementation((_days, _batch, _now, onProgress) => {
        onProgress({ deleted: 0, total: 12_345 });
        onProgress({ deleted: 12_345, total: 12_345 });
        return Promise.resolve(12_345);
      });
    command = new AuditPruneCommand({
      pruneOlderThan: prune,
      retentionDays: 90,
    } as unknown as AuditService);
  });

  afterEach(() => jest.restoreAllMocks());

  it('prunes to AUDIT_RETENTION_DAYS in batches of 5,000 by default and says how many it deleted', async () => {
    await command.run([], {});
    expect(prune).toHaveBeenCalledWith(90, 5000, expect.any(Number), expect.any(Function));
    expect(output.join('')).toBe('Deleted 12345 audit events older than 90 days\n');
    // Progress goes to stderr (plain lines: not a terminal here), never into the output.
    expect(errors.join('')).toMatch(
      /^Pruning: 0%, 0\/12,345 events, .*\nPruning: 100%, 12,345\/12,345 events, .*\n$/,
    );
  });

  it('takes --days and --batch-size, and refuses values that are not whole numbers in range', async () => {
    await command.run([], {
      days: command.parseDays('30'),
      batchSize: command.parseBatchSize('1000'),
    });
    expect(prune).toHaveBeenCalledWith(30, 1000, expect.any(Number), expect.any(Function));
    expect(() => command.parseDays('0')).toThrow('--days must be a whole number from 1 to 3650');
    expect(() => command.parseDays('7d')).toThrow();
    expect(() => command.parseBatchSize('-1')).toThrow();
  });
});
