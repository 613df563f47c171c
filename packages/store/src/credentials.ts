import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (
  password: string | Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number },
) => Promise<Buffer>;

/**
 * scrypt parameters. The secrets hashed here are 32 random bytes issued by provisioning, not
 * human passwords: no cost factor makes a 256-bit secret guessable, and a high one turns a
 * reconnect storm of thousands of devices into minutes of CPU. N = 2^8 (256 KiB of memory) takes
 * about 0.6 ms on the 2-core reference machine, where 2^10 took 2.3 ms and held first connects
 * to 655/s; it is still a salted, memory-hard hash if the database leaks. Hashes carry their
 * parameters, so those made with 2^10 keep verifying.
 */
const PARAMS = { N: 256, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

/** A fresh high-entropy secret, shown once to whoever provisions the device or service. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** `scrypt$N$r$p$salt$hash`, all base64url, so that parameters can change without a migration. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, KEY_BYTES, PARAMS);
  return [
    'scrypt',
    PARAMS.N,
    PARAMS.r,
    PARAMS.p,
    salt.toString('base64url'),
    hash.toString('base64url'),
  ].join('$');
}

export async function verifySecret(secret: string | Buffer, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(secret, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A verifier of secrets against stored hashes that remembers what it has verified. */
export interface SecretVerifier {
  verify(secret: string | Buffer, stored: string): Promise<boolean>;
  /**
   * For a username that has no account: false, after the same work as a wrong secret for one
   * that has (a scrypt run against a hash made here with the current parameters), so that the
   * time of an answer does not tell which device ids exist.
   */
  rejectUnknown(secret: string | Buffer): Promise<false>;
}

/**
 * `verifySecret` with a memory of secrets it has accepted: when a device reconnects with the
 * secret that already matched the same stored hash, an HMAC-SHA-256 under a random per-process
 * key (microseconds) replaces the scrypt run (about a millisecond of a thread-pool thread), so a
 * reconnect storm after a network drop is not held back by hashing. Keyed by the stored hash,
 * so a rotated secret or a re-provisioned device never matches an old entry; a wrong secret is
 * never remembered and always costs scrypt. What is kept is useless without the process's key.
 * Oldest entries go first past `maxEntries`.
 */
export function createSecretVerifier(
  opts: { maxEntries?: number; slow?: (secret: string | Buffer, stored: string) => Promise<boolean> } = {},
): SecretVerifier {
  const maxEntries = opts.maxEntries ?? 100_000;
  const slow = opts.slow ?? verifySecret;
  const key = randomBytes(32);
  const accepted = new Map<string, Buffer>();
  const mac = (secret: string | Buffer) => createHmac('sha256', key).update(secret).digest();
  let unknownAccountHash: Promise<string> | undefined;
  const verify = async (secret: string | Buffer, stored: string) => {
    const seen = accepted.get(stored);
    const tag = mac(secret);
    if (seen && timingSafeEqual(seen, tag)) return true;
    const ok = await slow(secret, stored);
    if (ok) {
      if (accepted.size >= maxEntries) accepted.delete(accepted.keys().next().value as string);
      accepted.set(stored, tag);
    }
    return ok;
  };
  return {
    verify,
    async rejectUnknown(secret) {
      // The same path as a wrong secret for a known account: nobody knows the secret of this
      // hash (it is thrown away), so `verify` always runs scrypt and never remembers it.
      unknownAccountHash ??= hashSecret(generateSecret());
      await verify(secret, await unknownAccountHash);
      return false;
    },
  };
}
