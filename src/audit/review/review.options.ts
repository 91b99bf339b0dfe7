/**
 * What the nightly review needs from configuration. AppModule maps `AppConfig.review` onto
 * `AuditModuleOptions.review`; every duration is in seconds.
 */
export interface ReviewThresholds {
  /** Failed attempts on one account (few IPs) that make a brute-force finding. */
  bruteForceFailures: number;
  /** Distinct existing usernames failed from one IP (password spraying). */
  sprayingUsernames: number;
  /** Distinct low-rate, never-successful IPs of a credential-stuffing campaign. */
  stuffingIps: number;
  /** Distinct usernames those IPs tried. */
  stuffingUsernames: number;
  /** Distinct IPs failing on one account (distributed attack). */
  distributedIps: number;
  /**
   * Checked failures (wrong passwords) a distributed attack on one account needs before the
   * review locks it (REVIEW_DISTRIBUTED_FAILURES, default 20): ten IPs with one guess each
   * must not lock anyone out.
   */
  distributedFailures?: number;
  /** Consecutive failures on an account before a success (possible compromise). */
  successAfterFailures: number;
  /** Distinct unknown usernames tried from one IP (enumeration). */
  enumerationUnknown: number;
  /** Distinct accounts locked within `lockoutBurstWindow` (attack on the lockout itself). */
  lockoutBurstAccounts: number;
  lockoutBurstWindow: number;
  /**
   * Successful logins a user needs from other IPs (before, or earlier in the window) before a
   * login from a never-seen IP is reported. Default 1.
   */
  newIpMinHistory?: number;
}

export interface ReviewOptions {
  /** `false` leaves the 23:00 job registered but stopped (REVIEW_ENABLED). */
  enabled: boolean;
  /** IANA zone of the 23:00 job and of report names (REVIEW_TIMEZONE). */
  timeZone: string;
  /** Folder of `review-<run id>.md` (REPORT_DIR). */
  reportDir: string;
  thresholds: ReviewThresholds;
  /** First IP block; each repeat doubles it, up to `ipBlockMax`. */
  ipBlockBase: number;
  ipBlockMax: number;
  /** Account lock placed by the review. */
  accountLock: number;
  /** How long a claimed run may go without renewing its lease before another may claim. Default 900. */
  leaseSeconds?: number;
  /**
   * Rows read per page while streaming events. Default 500: a page (rows, events, canonical
   * text) stays a few hundred KB, small enough to die in V8's young generation; pages of 2000
   * survived into the old generation and the review's RSS grew with the number of events.
   */
  pageSize?: number;
}

/**
 * The thresholds every review uses unless configured otherwise; the same defaults as the
 * service's `REVIEW_*` settings (docs/configuration.md). A detector reads the configured ones
 * from `DetectorContext.thresholds`.
 */
export const DEFAULT_REVIEW_THRESHOLDS: Required<ReviewThresholds> = {
  bruteForceFailures: 20,
  sprayingUsernames: 10,
  stuffingIps: 20,
  stuffingUsernames: 20,
  distributedIps: 10,
  distributedFailures: 20,
  successAfterFailures: 5,
  enumerationUnknown: 20,
  lockoutBurstAccounts: 5,
  lockoutBurstWindow: 600,
  newIpMinHistory: 1,
};

export const DEFAULT_REVIEW_OPTIONS: ReviewOptions = {
  enabled: true,
  timeZone: 'UTC',
  reportDir: './reports',
  thresholds: DEFAULT_REVIEW_THRESHOLDS,
  ipBlockBase: 3600,
  ipBlockMax: 30 * 86400,
  accountLock: 3600,
  leaseSeconds: 900,
  pageSize: 500,
};

export type ResolvedReviewOptions = Required<ReviewOptions> & {
  thresholds: Required<ReviewThresholds>;
};

/** The options with every default filled in; absent options give the defaults (job off). */
export function resolveReviewOptions(options: ReviewOptions | undefined): ResolvedReviewOptions {
  const merged = { ...DEFAULT_REVIEW_OPTIONS, ...options };
  return {
    ...merged,
    enabled: options?.enabled ?? false,
    leaseSeconds: merged.leaseSeconds ?? 900,
    pageSize: merged.pageSize ?? 500,
    thresholds: { ...DEFAULT_REVIEW_THRESHOLDS, ...options?.thresholds },
  };
}
