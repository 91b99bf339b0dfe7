import { FeedHeartbeat } from './feed-heartbeat';

describe('FeedHeartbeat', () => {
  let now: number;
  let heartbeat: FeedHeartbeat;

  beforeEach(() => {
    now = 1_000_000;
    heartbeat = new FeedHeartbeat(1000, () => now);
  });

  it('is not live before anything is confirmed, and pings every half of the bound', () => {
    expect(heartbeat.live).toBe(false);
    expect(heartbeat.pingEveryMs).toBe(500);
  });

  it('stays live while pings sent every half-bound are answered', () => {
    expect(heartbeat.confirm(now)).toBe(true); // the subscription: first confirmation, resync
    for (let round = 0; round < 10; round++) {
      now += 500;
      const sentAt = now;
      now += 5; // the PONG's round trip
      expect(heartbeat.live).toBe(true);
      expect(heartbeat.confirm(sentAt)).toBe(false);
    }
  });

  it('goes stale once no answered ping is newer than the bound (a hung Redis)', () => {
    heartbeat.confirm(now);
    now += 999;
    expect(heartbeat.live).toBe(true);
    now += 1;
    expect(heartbeat.live).toBe(false);
  });

  it('asks for a resync when an answer arrives after a stale spell', () => {
    heartbeat.confirm(now);
    const sentDuringHang = now + 500;
    now += 3000; // SIGCONT: the ping sent during the hang is answered late
    expect(heartbeat.live).toBe(false);
    // Sent 2.5 s ago: its answer proves nothing about the last second; still stale.
    expect(heartbeat.confirm(sentDuringHang)).toBe(true);
    expect(heartbeat.live).toBe(false);
    const fresh = now;
    now += 2;
    expect(heartbeat.confirm(fresh)).toBe(true);
    expect(heartbeat.live).toBe(true);
  });

  it('ignores an answer older than the newest confirmation', () => {
    heartbeat.confirm(now);
    heartbeat.confirm(now - 5000);
    now += 999;
    expect(heartbeat.live).toBe(true);
  });

  it('is not live after a reset, whatever was confirmed before', () => {
    heartbeat.confirm(now);
    heartbeat.reset();
    expect(heartbeat.live).toBe(false);
  });
});
