import { BruteForceDetector } from './brute-force.detector';
import { CredentialStuffingDetector } from './credential-stuffing.detector';
import { DistributedAttackDetector } from './distributed-attack.detector';
import { LockoutBurstDetector } from './lockout-burst.detector';
import { NewIpSuccessDetector } from './new-ip-success.detector';
import { PasswordSprayingDetector } from './password-spraying.detector';
import { RefreshTokenReuseDetector } from './refresh-token-reuse.detector';
import { SuccessAfterFailuresDetector } from './success-after-failures.detector';
import { UsernameEnumerationDetector } from './username-enumeration.detector';

export {
  BruteForceDetector,
  CredentialStuffingDetector,
  DistributedAttackDetector,
  LockoutBurstDetector,
  NewIpSuccessDetector,
  PasswordSprayingDetector,
  RefreshTokenReuseDetector,
  SuccessAfterFailuresDetector,
  UsernameEnumerationDetector,
};

/**
 * The rules that ship; each is a provider of ReviewModule. They carry `@ReviewDetector()` but
 * not `@Injectable()` (they have no dependencies, so Nest needs no metadata to build them):
 * their modules load without Nest, and the offline CLI builds them with `new`.
 */
export const BUILT_IN_DETECTORS = [
  BruteForceDetector,
  PasswordSprayingDetector,
  CredentialStuffingDetector,
  DistributedAttackDetector,
  SuccessAfterFailuresDetector,
  NewIpSuccessDetector,
  UsernameEnumerationDetector,
  RefreshTokenReuseDetector,
  LockoutBurstDetector,
] as const;

/**
 * The helpers the built-in rules use, so a host's detector is as short as theirs: the event
 * classifiers (`isFailedLogin`, …: which events count as evidence, refusals excluded), `Span`
 * (first/last seen and up to 10 sample ids, what every finding reports) and `entry` (per-subject
 * state). Thresholds and their defaults: `ReviewThresholds`, `DEFAULT_REVIEW_THRESHOLDS`.
 */
export {
  isFailedLogin,
  isCredentialFailure,
  isAccountFailure,
  isUnknownUserFailure,
  isSuccessfulLogin,
  isLoginLockout,
  Span,
  entry,
} from './login-events';
