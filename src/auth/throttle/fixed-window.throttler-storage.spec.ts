import { FixedWindowThrottlerStorage } from './fixed-window.throttler-storage';

describe('FixedWindowThrottlerStorage', () => {
  let now = 1_800_000_000_000;
  beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => now));
  afterEach(() => jest.restoreAllMocks());

  it('counts hits in a window, blocks past the limit until the block ends, then starts afresh', async () => {
    const storage = new FixedWindowThrottlerStorage();
    for (let hit = 1; hit <= 3; hit += 1) {
      expect(await storage.increment('ip-1', 60_000, 3, 60_000, 'default')).toEqual({
        totalHits: hit,
        timeToExpire: 60,
        isBlocked: false,
        timeToBlockExpire: 0,
      });
    }
    now += 10_000;
    expect(await storage.increment('ip-1', 60_000, 3, 60_000, 'default')).toMatchObject({
      totalHits: 4,
      isBlocked: true,
      timeToBlockExpire: 60,
      timeToExpire: 50,
    });
    // Another client and another throttler name have budgets of their own.
    expect(await storage.increment('ip-2', 60_000, 3, 60_000, 'default')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
    expect(await storage.increment('ip-1', 60_000, 3, 60_000, 'other')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });

    now += 55_000; // window over, block (until +70 s) not yet
    expect(await storage.increment('ip-1', 60_000, 3, 60_000, 'default')).toMatchObject({
      isBlocked: true,
      timeToBlockExpire: 5,
    });
    now += 6_000;
    expect(await storage.increment('ip-1', 60_000, 3, 60_000, 'default')).toMatchObject({
      isBlocked: false,
    });
  });

  it('forgets idle clients, so memory follows the active ones', async () => {
    const storage = new FixedWindowThrottlerStorage();
    for (let client = 0; client < 100; client += 1)
      await storage.increment(`ip-${client}`, 60_000, 10, 60_000, 'default');
    expect(storage.size).toBe(100);
    now += 120_000;
    await storage.increment('ip-new', 60_000, 10, 60_000, 'default');
    expect(storage.size).toBe(1);
  });
});
