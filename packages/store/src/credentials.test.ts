import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretVerifier, generateSecret, hashSecret, verifySecret } from './credentials.js';

const counting = () => {
  const calls = { n: 0 };
  const slow = (secret: string | Buffer, stored: string) => {
    calls.n++;
    return verifySecret(secret, stored);
  };
  return { calls, slow };
};

describe('createSecretVerifier', () => {
  it('verifies as scrypt does, and skips scrypt for a secret it has already accepted', async () => {
    const secret = generateSecret();
    const stored = await hashSecret(secret);
    const { calls, slow } = counting();
    const verifier = createSecretVerifier({ slow });
    expect(await verifier.verify(secret, stored)).toBe(true);
    expect(await verifier.verify(secret, stored)).toBe(true);
    expect(await verifier.verify(Buffer.from(secret), stored)).toBe(true);
    expect(calls.n).toBe(1);
    // A wrong secret always goes to scrypt, and is never remembered.
    expect(await verifier.verify(`${secret}x`, stored)).toBe(false);
    expect(await verifier.verify(`${secret}x`, stored)).toBe(false);
    expect(calls.n).toBe(3);
  });

  it('does not carry an accepted secret over to another stored hash (a rotated secret)', async () => {
    const secret = generateSecret();
    const before = await hashSecret(secret);
    const rotated = await hashSecret(generateSecret());
    const verifier = createSecretVerifier();
    expect(await verifier.verify(secret, before)).toBe(true);
    expect(await verifier.verify(secret, rotated)).toBe(false);
  });

  it('forgets the oldest entries past its size, and still verifies them the slow way', async () => {
    const secrets = [generateSecret(), generateSecret(), generateSecret()];
    const stored = await Promise.all(secrets.map((s) => hashSecret(s)));
    const { calls, slow } = counting();
    const verifier = createSecretVerifier({ maxEntries: 2, slow });
    for (let i = 0; i < 3; i++) await verifier.verify(secrets[i] as string, stored[i] as string);
    expect(calls.n).toBe(3);
    expect(await verifier.verify(secrets[2] as string, stored[2] as string)).toBe(true);
    expect(calls.n).toBe(3);
    expect(await verifier.verify(secrets[0] as string, stored[0] as string)).toBe(true);
    expect(calls.n).toBe(4);
  });
});

describe('an unknown account', () => {
  it('costs a scrypt run each time, as a wrong secret for a known account does', async () => {
    const { calls, slow } = counting();
    const verifier = createSecretVerifier({ slow });
    const secret = generateSecret();
    expect(await verifier.rejectUnknown(secret)).toBe(false);
    expect(await verifier.rejectUnknown(secret)).toBe(false);
    expect(calls.n).toBe(2);
  });
});

describe('hashSecret and verifySecret', () => {
  it('verify hashes made with other scrypt parameters (each hash carries its own)', async () => {
    const secret = generateSecret();
    const salt = randomBytes(16);
    const older = ['scrypt', 1024, 8, 1, salt.toString('base64url')]
      .concat(scryptSync(secret, salt, 32, { N: 1024, r: 8, p: 1 }).toString('base64url'))
      .join('$');
    expect(await verifySecret(secret, older)).toBe(true);
    expect(await verifySecret(`${secret}x`, older)).toBe(false);
    const current = await hashSecret(secret);
    expect(current).toMatch(/^scrypt\$256\$8\$1\$/);
    expect(await verifySecret(secret, current)).toBe(true);
  });
});
