import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { join } from 'node:path';
import { readOrCreatePrivateFile } from './private-file.js';

/** Where the key lives in the data folder (PKCS #8 PEM, mode 0600). */
export const SIGNING_KEY_FILE = 'report-signing-key.pem';
/** Where anyone fetches the public key that checks report signatures (`GET`, no token). */
export const SIGNING_KEY_PATH = '/v1/keys/report-signing';

/** The server's Ed25519 key that signs report revisions (RFC 8032), with its public forms. */
export interface ReportSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** First 16 hex digits of SHA-256 over the public key's SPKI DER: names the key in a report. */
  keyId: string;
  /** SubjectPublicKeyInfo PEM, for `openssl pkeyutl -verify` and most libraries. */
  publicPem: string;
  /** RFC 8037 JWK (`kty: OKP`, `crv: Ed25519`), for WebCrypto and JOSE libraries. */
  publicJwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; use: 'sig'; alg: 'EdDSA' };
}

function fromPrivateKey(privateKey: KeyObject): ReportSigningKey {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const keyId = createHash('sha256').update(der).digest('hex').slice(0, 16);
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string };
  return {
    privateKey,
    publicKey,
    keyId,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: keyId, use: 'sig', alg: 'EdDSA' },
  };
}

/** A fresh key kept in memory only (an API built without a data folder, as in `app.request()` tests). */
export function generateReportSigningKey(): ReportSigningKey {
  return fromPrivateKey(generateKeyPairSync('ed25519').privateKey);
}

/**
 * The signing key of this data folder, created on first start. It must outlive restarts: a report
 * signed before one is verified after it.
 */
export function loadReportSigningKey(dataDir: string): ReportSigningKey {
  const pem = readOrCreatePrivateFile(join(dataDir, SIGNING_KEY_FILE), () =>
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  return fromPrivateKey(createPrivateKey(pem));
}
