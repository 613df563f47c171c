import { type KeyObject, sign, verify } from 'node:crypto';
import type { ReportSigningKey } from './signing-key.js';

/** What a report's signature covers: the digest of its readings and what identifies the report. */
export interface SignedReportFields {
  shipmentId: string;
  revision: number;
  issuedAtMs: number;
  verdict: string;
  /** Hex SHA-256 of the canonical reading lines. */
  digest: string;
}

/**
 * The exact bytes signed: the fields as JSON in this fixed order, prefixed by a version tag so that
 * a signature over something else can never be passed off as a report's. A verifier rebuilds it
 * from the report's integrity block: `coldchain-report-v1\n{"shipmentId":…,"digest":…}`.
 */
export function signedPayload(f: SignedReportFields): Buffer {
  const ordered = {
    shipmentId: f.shipmentId,
    revision: f.revision,
    issuedAtMs: f.issuedAtMs,
    verdict: f.verdict,
    digest: f.digest,
  };
  return Buffer.from(`coldchain-report-v1\n${JSON.stringify(ordered)}`, 'utf8');
}

/** Ed25519 signature (base64url) of the fields. */
export function signReport(key: ReportSigningKey, fields: SignedReportFields): string {
  return sign(null, signedPayload(fields), key.privateKey).toString('base64url');
}

/** Whether `signature` is this public key's over exactly these fields. */
export function verifyReportSignature(
  publicKey: KeyObject,
  fields: SignedReportFields,
  signature: string,
): boolean {
  const bytes = Buffer.from(signature, 'base64url');
  // Ed25519 signatures are 64 bytes; anything else is not one (and node would throw on some).
  if (bytes.length !== 64) return false;
  return verify(null, signedPayload(fields), publicKey, bytes);
}
