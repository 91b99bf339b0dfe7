import { progressFigures, startProgress } from './progress';

/** A stderr stand-in that keeps what was written. */
function fakeStream(tty: boolean): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  return {
    isTTY: tty,
    columns: 120,
    write: (chunk: string) => {
      chunks.push(chunk);
      return true;
    },
    text: () => chunks.join(''),
  } as unknown as NodeJS.WriteStream & { text: () => string };
}

describe('progressFigures', () => {
  it('gives percentage, counts, the average rate and the ETA at that rate', () => {
    expect(progressFigures(250_000, 1_000_000, 5_000, 'events')).toEqual({
      fraction: 0.25,
      percentage: '25%',
      counts: '250,000/1,000,000 events',
      rate: '50,000 events/s',
      eta: '15s',
    });
  });

  it('counts bytes in binary units, and says ? while nothing is done yet', () => {
    const figures = progressFigures(0, 3 * 1024 * 1024 * 1024, 0, 'bytes');
    expect(figures).toMatchObject({ percentage: '0%', counts: '0.0 KiB/3.00 GiB', eta: '?' });
    expect(progressFigures(512 * 1024 * 1024, 1024 * 1024 * 1024, 100_000, 'bytes')).toMatchObject({
      counts: '512.0 MiB/1.00 GiB',
      rate: '5.1 MiB/s',
      eta: '1m40s',
    });
  });
});

describe('startProgress', () => {
  beforeEach(() => jest.useFakeTimers({ now: Date.parse('2026-12-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('prints plain lines when not a terminal: at the start, at most every interval, at the end', () => {
    const stream = fakeStream(false);
    const progress = startProgress('Reviewing', 'events', { stream, lineIntervalMs: 2000 });
    progress.update(0, { total: 1000 });
    jest.setSystemTime(Date.now() + 1000);
    progress.update(100);
    jest.setSystemTime(Date.now() + 1000);
    progress.update(400);
    progress.update(500);
    jest.setSystemTime(Date.now() + 500);
    progress.update(1000);
    progress.stop();
    progress.stop();
    expect(stream.text().split('\n')).toEqual([
      'Reviewing: 0%, 0/1,000 events, 0 events/s, ETA ?',
      'Reviewing: 40%, 400/1,000 events, 200 events/s, ETA 3s',
      'Reviewing: 100%, 1,000/1,000 events, 400 events/s, ETA 0s',
      '',
    ]);
  });

  it('shows nothing when there is nothing to do (a total of zero)', () => {
    const stream = fakeStream(false);
    const progress = startProgress('Migrating', 'migrations', { stream });
    progress.update(0, { total: 0 });
    progress.stop();
    expect(stream.text()).toBe('');
  });

  it('names the step under way, and drops it when none is', () => {
    const stream = fakeStream(false);
    const progress = startProgress('Migrating', 'migrations', { stream, lineIntervalMs: 0 });
    progress.update(0, { total: 2, step: '0006_audit_login_stats' });
    progress.update(2, { total: 2, step: undefined });
    progress.stop();
    expect(stream.text()).toMatch(
      /^Migrating \(0006_audit_login_stats\): 0%, 0\/2 migrations.*\nMigrating: 100%, 2\/2 migrations/,
    );
  });

  it('draws a bar with percentage, counts, rate and ETA on a terminal', () => {
    const stream = fakeStream(true);
    const progress = startProgress('Reviewing files', 'bytes', { stream });
    progress.update(0, { total: 4 * 1024 * 1024 });
    jest.setSystemTime(Date.now() + 2000);
    progress.update(1024 * 1024);
    progress.stop();
    const text = stream.text();
    expect(text).toContain(
      'Reviewing files ██████░░░░░░░░░░░░░░░░░░ 25% | 1.0 MiB/4.0 MiB | 512.0 KiB/s | ETA 6s',
    );
    expect(text.endsWith('\n')).toBe(true);
  });
});
