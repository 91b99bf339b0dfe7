import { Injectable } from '@nestjs/common';
import { validationFailed } from '../../common';
import { AuditStatsRepository, StatsBucket } from './audit-stats.repository';

export const STATS_MAX_BUCKETS = 1000;
export const STATS_TOP_LIMIT = 10;
const DEFAULT_WINDOW_MS = 7 * 24 * 3600_000;
const BUCKET_MS: Record<StatsBucket, number> = { '1h': 3600_000, '1d': 24 * 3600_000 };

export interface StatsRequest {
  /** Epoch ms; default `to` minus 7 days. */
  from?: number;
  /** Epoch ms; default now. */
  to?: number;
  bucket?: StatsBucket;
}

export interface StatsPoint {
  start: string;
  success: number;
  failure: number;
  refused: number;
  findings: number;
}

export interface AuditStats {
  from: string;
  to: string;
  bucket: StatsBucket;
  series: StatsPoint[];
  topFailingIps: { ip: string; failures: number }[];
  topFailingUsernames: { username: string; failures: number }[];
}

/** The figures the console draws, one aggregate query each, with every bucket present. */
@Injectable()
export class AuditStatsService {
  constructor(private readonly repository: AuditStatsRepository) {}

  async stats(request: StatsRequest, now: number = Date.now()): Promise<AuditStats> {
    const bucket = request.bucket ?? '1h';
    const size = BUCKET_MS[bucket];
    const to = request.to ?? now;
    const requestedFrom = request.from ?? to - DEFAULT_WINDOW_MS;
    if (requestedFrom >= to) throw validationFailed('from must be before to');
    // Buckets start on whole UTC hours or days, so a chart's bars line up with the clock.
    const from = Math.floor(requestedFrom / size) * size;
    const buckets = Math.ceil((to - from) / size);
    if (buckets > STATS_MAX_BUCKETS) {
      throw validationFailed(
        `the window holds ${buckets} buckets; at most ${STATS_MAX_BUCKETS} are allowed`,
      );
    }
    const window = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket };
    const [logins, findings, topFailingIps, topFailingUsernames] = await Promise.all([
      this.repository.loginsPerBucket(window),
      this.repository.findingsPerBucket(window),
      this.repository.topFailingIps(window, STATS_TOP_LIMIT),
      this.repository.topFailingUsernames(window, STATS_TOP_LIMIT),
    ]);
    const loginsByKey = new Map(logins.map((row) => [row.key, row]));
    const findingsByKey = new Map(findings.map((row) => [row.key, row.findings]));
    const keyLength = bucket === '1h' ? 13 : 10;
    const series: StatsPoint[] = [];
    for (let start = from; start < to; start += size) {
      const iso = new Date(start).toISOString();
      const key = iso.slice(0, keyLength);
      const counts = loginsByKey.get(key);
      series.push({
        start: iso,
        success: counts?.success ?? 0,
        failure: counts?.failure ?? 0,
        refused: counts?.refused ?? 0,
        findings: findingsByKey.get(key) ?? 0,
      });
    }
    return { from: window.from, to: window.to, bucket, series, topFailingIps, topFailingUsernames };
  }
}
