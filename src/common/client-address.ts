import { isIP, isIPv4, SocketAddress } from 'node:net';

/**
 * One spelling per address (API.md, the client IP), so every spelling of one client shares one
 * throttle counter, one block and one audit trail:
 * - IPv4 in dotted decimal, as node:net accepts it (no leading zeros: `010.2.2.2` is refused,
 *   since other parsers read it as octal, 8.2.2.2);
 * - IPv4-mapped IPv6 in any spelling (`::ffff:10.2.2.2`, `::ffff:a02:202`,
 *   `0:0:0:0:0:ffff:10.2.2.2`) becomes the IPv4 address;
 * - other IPv6 lower-case and compressed (RFC 5952), without a zone id.
 * Undefined when the text is not an address.
 */
export function canonicalIp(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return undefined;
  // inet_ntop through SocketAddress: RFC 5952 text, mapped IPv4 as `::ffff:a.b.c.d`.
  const formatted = new SocketAddress({ address: text, family: 'ipv6' }).address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(formatted);
  return mapped && isIPv4(mapped[1]) ? mapped[1] : formatted;
}

const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/;
const BRACKETED_IPV6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/;

/**
 * A client address as a proxy forwarded it: `ip`, `ip:port` or `[ipv6]:port` (some proxies
 * append the port), in canonical form; undefined when it is not an address at all.
 */
export function canonicalForwardedIp(text: string): string | undefined {
  const value = text.trim();
  const withPort = IPV4_WITH_PORT.exec(value) ?? BRACKETED_IPV6.exec(value);
  if (withPort?.[2] !== undefined && Number(withPort[2]) > 65535) return undefined;
  const address = withPort ? withPort[1] : value;
  if (withPort && BRACKETED_IPV6.test(value) && isIP(address) !== 6) return undefined;
  return canonicalIp(address);
}

/** The two answers of `resolveClientIp`. */
export type ClientIpResolution =
  | { ok: true; ip: string }
  /** The forwarded value is not an address; `proxyIp` is the hop that reported it. */
  | { ok: false; proxyIp: string; forwarded: string };

/** What `resolveClientIp` reads from a request (Express's `ip` and `ips`, the socket). */
export interface ClientAddressSource {
  /** The client address after `trust proxy` (Express `req.ip`). */
  ip?: string;
  /** Express `req.ips`: the forwarded chain, client first, closest proxy last. */
  ips?: string[];
  socket: { remoteAddress?: string };
}

/**
 * The canonical client IP of a request. Without a trusted proxy it is the socket peer. With one,
 * Express (proxy-addr) has walked `X-Forwarded-For`; a forwarded value that is not an address
 * is refused, and the refusal is attributed to the proxy that forwarded it.
 */
export function resolveClientIp(request: ClientAddressSource): ClientIpResolution {
  const peer = request.socket.remoteAddress;
  const peerIp = (peer === undefined ? undefined : canonicalIp(peer)) ?? '-';
  const chosen = request.ip;
  if (chosen === undefined || chosen === peer) return { ok: true, ip: peerIp };
  const ip = canonicalForwardedIp(chosen);
  if (ip !== undefined) return { ok: true, ip };
  const ips = request.ips ?? [];
  const reporter = ips.length > 1 ? canonicalForwardedIp(ips[1]) : undefined;
  return { ok: false, proxyIp: reporter ?? peerIp, forwarded: chosen };
}
