import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { readOrCreatePrivateFile } from '../integrity/private-file.js';

/** Where the HMAC secret of share links lives in the data folder (mode 0600). */
export const SHARE_SECRET_FILE = 'share-link-secret';

/** What a share token says: which link, which shipment, until when. */
export interface ShareClaim {
  linkId: string;
  shipmentId: string;
  expiresAtMs: number;
}

const DOMAIN = 'coldchain-share-v1\n';

/** The server's share-link secret of this data folder, created on first start (32 random bytes). */
export function loadShareSecret(dataDir: string): Buffer {
  const text = readOrCreatePrivateFile(join(dataDir, SHARE_SECRET_FILE), () =>
    randomBytes(32).toString('base64url'),
  );
  return Buffer.from(text.trim(), 'base64url');
}

const mac = (secret: Buffer, payload: string) =>
  createHmac('sha256', secret).update(DOMAIN).update(payload).digest();

/**
 * `<payload>.<mac>`, both base64url: the payload is the claim as JSON, the MAC HMAC-SHA256 of it
 * under the server's secret. Only the server makes one, and any change to the link id, shipment
 * or expiry breaks the MAC. The token is not stored: the link's record is, by id, so that it can
 * be listed and revoked.
 */
export function signShareToken(secret: Buffer, claim: ShareClaim): string {
  const payload = Buffer.from(
    JSON.stringify({ l: claim.linkId, s: claim.shipmentId, e: claim.expiresAtMs }),
    'utf8',
  ).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The claim of a token whose MAC is the server's, or null (malformed or tampered). */
export function readShareToken(secret: Buffer, token: string): ShareClaim | null {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return null;
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const claim = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof claim.l !== 'string' || typeof claim.s !== 'string' || typeof claim.e !== 'number')
      return null;
    return { linkId: claim.l, shipmentId: claim.s, expiresAtMs: claim.e };
  } catch {
    return null;
  }
}
