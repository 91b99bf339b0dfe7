import { Injectable } from '@nestjs/common';
import { dictionary } from '@zxcvbn-ts/language-common';
import { codePointLength, normalizeUsername } from './username';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;

/**
 * 49,233 common passwords from @zxcvbn-ts/language-common (`passwords-common`, built from
 * leaked-password frequency lists), compared case-insensitively.
 */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  dictionary['passwords-common'].map((password) => password.toLowerCase()),
);

export const COMMON_PASSWORD_COUNT = COMMON_PASSWORDS.size;

/** API.md password policy (ASVS 5.0 V6.2): length, not common, not the username. */
@Injectable()
export class PasswordPolicy {
  /** The reasons the password is refused; empty when it is acceptable. */
  violations(password: string, username: string): string[] {
    const reasons: string[] = [];
    const length = codePointLength(password);
    if (length < PASSWORD_MIN_LENGTH)
      reasons.push(`password must be at least ${PASSWORD_MIN_LENGTH} characters`);
    if (length > PASSWORD_MAX_LENGTH)
      reasons.push(`password must be at most ${PASSWORD_MAX_LENGTH} characters`);
    if (COMMON_PASSWORDS.has(password.toLowerCase())) reasons.push('password is too common');
    if (normalizeUsername(password) === normalizeUsername(username))
      reasons.push('password must not equal the username');
    return reasons;
  }
}
