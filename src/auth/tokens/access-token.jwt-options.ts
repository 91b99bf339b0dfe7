import type { JwtModuleOptions } from '@nestjs/jwt';
import type { AuthModuleOptions } from '../auth.options';
import type { AuthKeys } from './auth-keys';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const ACCESS_TOKEN_ALGORITHM = 'HS256';

/**
 * How `JwtService` (`@nestjs/jwt`) signs and verifies Gatehouse's access tokens; SessionsModule
 * registers `JwtModule` with it, and a host injecting that `JwtService` gets the same rules.
 * - The key is the `KeyObject` of `AuthKeys`, made once: handed the secret as a string,
 *   jsonwebtoken would import it again on every call, which halved the guarded throughput.
 * - One algorithm, for signing and for verifying (RFC 8725 §3.1): a token whose header names
 *   another (`none`, RS256 with the secret as a "public key") is refused before any check.
 * - `iss` and `aud` are written and required (RFC 8725 §3.8, §3.9); `typ: at+jwt` is written
 *   here and required by `JwtStrategy.validate` (RFC 9068 §2.1, RFC 8725 §3.11).
 * - `complete: true`: verification returns the header too, so `typ` and the other header
 *   members can be checked.
 */
export function accessTokenJwtOptions(
  keys: AuthKeys,
  options: AuthModuleOptions,
): JwtModuleOptions {
  return {
    secret: keys.accessToken,
    signOptions: {
      algorithm: ACCESS_TOKEN_ALGORITHM,
      header: { alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE },
      issuer: options.jwt.issuer,
      audience: options.jwt.audience,
    },
    verifyOptions: {
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: options.jwt.issuer,
      audience: options.jwt.audience,
      complete: true,
    },
  };
}
