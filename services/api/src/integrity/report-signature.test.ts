import { describe, expect, it } from 'vitest';
import { signReport, verifyReportSignature } from './report-signature.js';
import { generateReportSigningKey } from './signing-key.js';

const fields = { shipmentId: 'S1', revision: 2, issuedAtMs: 1_000, verdict: 'pass', digest: 'ab'.repeat(32) };

describe('report signatures', () => {
  it('verifies its own signature over exactly the signed fields, and nothing else', () => {
    const key = generateReportSigningKey();
    const signature = signReport(key, fields);
    expect(verifyReportSignature(key.publicKey, fields, signature)).toBe(true);
    for (const altered of [
      { ...fields, verdict: 'fail' },
      { ...fields, revision: 1 },
      { ...fields, issuedAtMs: 1_001 },
      { ...fields, shipmentId: 'S2' },
      { ...fields, digest: 'cd'.repeat(32) },
    ])
      expect(verifyReportSignature(key.publicKey, altered, signature)).toBe(false);
    expect(verifyReportSignature(generateReportSigningKey().publicKey, fields, signature)).toBe(false);
    expect(verifyReportSignature(key.publicKey, fields, 'not-a-signature')).toBe(false);
  });

  it('names a key by its public key, the same in every form it is published in', () => {
    const key = generateReportSigningKey();
    expect(key.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(key.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: key.keyId });
    expect(key.publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });
});
