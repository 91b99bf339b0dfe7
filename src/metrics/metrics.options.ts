/** What AppModule maps from `METRICS_*` (AppConfig.metrics). */
export interface MetricsModuleOptions {
  /** Serve `/metrics`. Off: no route at all (404) and no collection. */
  enabled: boolean;
  /** Client IPs or CIDRs (as seen by Express, so `TRUST_PROXY` applies) allowed to scrape. */
  allowIps: string[];
  /** Bearer token allowed to scrape, from any IP. */
  token?: string;
}

export const METRICS_MODULE_OPTIONS = Symbol('METRICS_MODULE_OPTIONS');
