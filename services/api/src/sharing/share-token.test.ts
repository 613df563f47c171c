import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readShareToken, signShareToken } from './share-token.js';

describe('share tokens', () => {
  const secret = randomBytes(32);
  const claim = { linkId: 'L1', shipmentId: 'S1', expiresAtMs: 5_000 };

  it('reads back the claim of a token the server made', () => {
    expect(readShareToken(secret, signShareToken(secret, claim))).toEqual(claim);
  });

  it('refuses a token with a changed claim, another secret, a cut MAC or no shape', () => {
    const token = signShareToken(secret, claim);
    const [, mac] = token.split('.');
    const other = Buffer.from(JSON.stringify({ l: 'L1', s: 'S2', e: 5_000 })).toString('base64url');
    for (const bad of [`${other}.${mac}`, token.slice(0, -3), 'x', `${token}.x`, ''])
      expect(readShareToken(secret, bad)).toBeNull();
    expect(readShareToken(randomBytes(32), token)).toBeNull();
  });
});
