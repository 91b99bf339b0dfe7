import { Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { METRICS_MODULE_OPTIONS, MetricsModuleOptions } from './metrics.options';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** `::ffff:10.0.0.1` (a dual-stack socket's view of an IPv4 peer) is `10.0.0.1`. */
function plainAddress(ip: string): string {
  return IPV4_MAPPED.exec(ip)?.[1] ?? ip;
}

/**
 * Parses `METRICS_ALLOW_IPS` entries (an address or a CIDR) into a list that answers "is this
 * client listed". Throws on an entry that is neither, naming it.
 */
export function parseAllowList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(plainAddress(address));
    const bits = prefix === undefined ? undefined : Number(prefix);
    const maxBits = family === 4 ? 32 : 128;
    if (
      family === 0 ||
      extra !== undefined ||
      (bits !== undefined && !(/^\d{1,3}$/.test(prefix) && bits <= maxBits))
    ) {
      throw new Error(`"${entry}" is neither an IP address nor a CIDR such as 10.0.0.0/8`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(plainAddress(address), type);
    else list.addSubnet(plainAddress(address), bits, type);
  }
  return list;
}

/**
 * Who may read `/metrics`. A scrape is allowed when the client IP is listed in
 * `METRICS_ALLOW_IPS` or it carries `Authorization: Bearer <METRICS_TOKEN>`; either suffices.
 * With neither configured nobody is allowed (config refuses that combination anyway).
 */
@Injectable()
export class MetricsAccess {
  private readonly allowList: BlockList;
  private readonly hasIps: boolean;
  private readonly tokenDigest?: Buffer;

  constructor(@Inject(METRICS_MODULE_OPTIONS) options: MetricsModuleOptions) {
    this.allowList = parseAllowList(options.allowIps);
    this.hasIps = options.allowIps.length > 0;
    this.tokenDigest = options.token === undefined ? undefined : digest(options.token);
  }

  allows(clientIp: string | undefined, authorization: string | undefined): boolean {
    return this.ipListed(clientIp) || this.tokenMatches(authorization);
  }

  private ipListed(clientIp: string | undefined): boolean {
    if (!this.hasIps || clientIp === undefined) return false;
    const address = plainAddress(clientIp);
    const family = isIP(address);
    if (family === 0) return false;
    return this.allowList.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }

  private tokenMatches(authorization: string | undefined): boolean {
    if (this.tokenDigest === undefined || authorization === undefined) return false;
    const presented = BEARER.exec(authorization)?.[1];
    // Digests have one length, so the comparison is constant-time whatever was sent.
    return presented !== undefined && timingSafeEqual(digest(presented), this.tokenDigest);
  }
}
