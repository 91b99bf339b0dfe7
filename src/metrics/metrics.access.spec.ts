import { MetricsAccess, parseAllowList } from './metrics.access';

const TOKEN = 'scrape-token-0123456789';

function access(allowIps: string[], token?: string): MetricsAccess {
  return new MetricsAccess({ enabled: true, allowIps, token });
}

describe('MetricsAccess', () => {
  it('allows listed addresses and subnets, including IPv4 seen through a dual-stack socket', () => {
    const policy = access(['127.0.0.1', '10.1.0.0/16', 'fd00::/8']);
    expect(policy.allows('127.0.0.1', undefined)).toBe(true);
    expect(policy.allows('::ffff:127.0.0.1', undefined)).toBe(true);
    expect(policy.allows('10.1.200.3', undefined)).toBe(true);
    expect(policy.allows('fd12::1', undefined)).toBe(true);
    expect(policy.allows('10.2.0.1', undefined)).toBe(false);
    expect(policy.allows('192.168.0.1', undefined)).toBe(false);
    expect(policy.allows(undefined, undefined)).toBe(false);
  });

  it('allows the exact bearer token from any address and refuses anything else', () => {
    const policy = access([], TOKEN);
    expect(policy.allows('203.0.113.9', `Bearer ${TOKEN}`)).toBe(true);
    expect(policy.allows('203.0.113.9', `bearer ${TOKEN}`)).toBe(true);
    expect(policy.allows('203.0.113.9', `Bearer ${TOKEN}x`)).toBe(false);
    expect(policy.allows('203.0.113.9', TOKEN)).toBe(false);
    expect(policy.allows('203.0.113.9', `Basic ${TOKEN}`)).toBe(false);
    expect(policy.allows('127.0.0.1', undefined)).toBe(false);
  });

  it('accepts either the IP or the token when both are configured', () => {
    const policy = access(['127.0.0.1'], TOKEN);
    expect(policy.allows('127.0.0.1', undefined)).toBe(true);
    expect(policy.allows('198.51.100.1', `Bearer ${TOKEN}`)).toBe(true);
    expect(policy.allows('198.51.100.1', 'Bearer wrong-token-000000000')).toBe(false);
  });

  it('refuses everyone when neither is configured', () => {
    expect(access([]).allows('127.0.0.1', 'Bearer anything-at-all-00000')).toBe(false);
  });

  it('rejects allow-list entries that are not addresses or CIDRs', () => {
    expect(() => parseAllowList(['localhost'])).toThrow(/localhost/);
    expect(() => parseAllowList(['10.0.0.0/33'])).toThrow(/10\.0\.0\.0\/33/);
    expect(() => parseAllowList(['10.0.0.0/8/1'])).toThrow();
  });
});
