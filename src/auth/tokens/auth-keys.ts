import { createSecretKey, hkdfSync, KeyObject } from 'node:crypto';

/**
 * Key material made once at start. The access-token key is a KeyObject: handed a string,
 * jsonwebtoken re-derives a key on every verify, which halved the guarded throughput here.
 * Refresh and CSRF keys are derived with HKDF (RFC 5869) under distinct labels, so no key
 * serves two purposes (RFC 8725 §3.1 spirit: one key, one use).
 */
export class AuthKeys {
  readonly accessToken: KeyObject;
  readonly refreshToken: Buffer;
  readonly csrfToken: Buffer;

  constructor(secret: string) {
    const material = Buffer.from(secret, 'utf8');
    this.accessToken = createSecretKey(material);
    this.refreshToken = derive(material, 'gatehouse/refresh-token/v1');
    this.csrfToken = derive(material, 'gatehouse/csrf-token/v1');
  }
}

function derive(material: Buffer, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), label, 32));
}
