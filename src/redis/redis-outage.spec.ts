import { RedisOutage } from './redis-outage';

describe('RedisOutage', () => {
  let now: number;
  let lines: string[];
  let outage: RedisOutage;

  beforeEach(() => {
    now = 1_000_000;
    lines = [];
    const logger = {
      warn: (message: string) => lines.push(`warn ${message}`),
      log: (message: string) => lines.push(`log ${message}`),
    };
    outage = new RedisOutage(logger, 'Login throttle', 1000, () => now);
  });

  it('warns once when an outage starts and logs once when it ends', () => {
    outage.failed(new Error('connect ECONNREFUSED'));
    outage.failed(new Error('connect ECONNREFUSED'));
    outage.failed(new Error('Command timed out'));
    outage.succeeded();
    outage.succeeded();
    expect(lines).toEqual([
      'warn Login throttle: Redis unavailable (connect ECONNREFUSED); falling back until it returns',
      'log Login throttle: Redis is back',
    ]);
  });

  it('skips Redis for the pause after each failure, then tries again', () => {
    expect(outage.shouldTry()).toBe(true);
    outage.failed(new Error('Command timed out'));
    expect(outage.active).toBe(true);
    now += 999;
    expect(outage.shouldTry()).toBe(false);
    now += 1;
    expect(outage.shouldTry()).toBe(true);
    outage.failed(new Error('Command timed out'));
    expect(outage.shouldTry()).toBe(false);
    outage.retryNow(); // the connection is ready again
    expect(outage.shouldTry()).toBe(true);
    outage.succeeded();
    expect(outage.shouldTry()).toBe(true);
  });
});
