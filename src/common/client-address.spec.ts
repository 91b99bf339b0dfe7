import { canonicalForwardedIp, canonicalIp, resolveClientIp } from './client-address';

describe('canonicalIp', () => {
  it.each([
    ['10.2.2.2', '10.2.2.2'],
    ['::ffff:10.2.2.2', '10.2.2.2'],
    ['::FFFF:10.2.2.2', '10.2.2.2'],
    ['::ffff:a02:202', '10.2.2.2'],
    ['0:0:0:0:0:ffff:10.2.2.2', '10.2.2.2'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::1', '::1'],
    ['::', '::'],
  ])('writes %s as %s', (text, canonical) => {
    expect(canonicalIp(text)).toBe(canonical);
  });

  it.each(['010.2.2.2', '10.2.2', '256.1.1.1', 'example.com', '', ':::', '1.2.3.4:80'])(
    'refuses %p',
    (text) => {
      expect(canonicalIp(text)).toBeUndefined();
    },
  );
});

describe('canonicalForwardedIp', () => {
  it.each([
    ['10.2.2.2:1234', '10.2.2.2'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['[::ffff:10.2.2.2]', '10.2.2.2'],
    [' 10.2.2.2 ', '10.2.2.2'],
  ])('strips the port of %s', (text, canonical) => {
    expect(canonicalForwardedIp(text)).toBe(canonical);
  });

  it.each(['10.2.2.2:65536', '[10.2.2.2]:80', '[example.com]:80', 'example.com:80', '010.2.2.2:1'])(
    'refuses %p',
    (text) => {
      expect(canonicalForwardedIp(text)).toBeUndefined();
    },
  );
});

describe('resolveClientIp', () => {
  it('uses the socket peer when nothing is forwarded', () => {
    expect(
      resolveClientIp({ ip: '::ffff:127.0.0.1', socket: { remoteAddress: '::ffff:127.0.0.1' } }),
    ).toEqual({ ok: true, ip: '127.0.0.1' });
  });

  it('attributes a bad forwarded value to the proxy that reported it', () => {
    expect(
      resolveClientIp({
        ip: 'example.com',
        ips: ['example.com', '::ffff:10.0.0.7'],
        socket: { remoteAddress: '127.0.0.1' },
      }),
    ).toEqual({ ok: false, proxyIp: '10.0.0.7', forwarded: 'example.com' });
    expect(
      resolveClientIp({
        ip: 'example.com',
        ips: ['example.com'],
        socket: { remoteAddress: '::1' },
      }),
    ).toEqual({ ok: false, proxyIp: '::1', forwarded: 'example.com' });
  });
});
