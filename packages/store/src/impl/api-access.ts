import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { API_ROLES, type ApiToken, type ApiUser } from '../domain-records.js';
import type { MetadataStore } from '../store.js';
import { StoreError } from '../store-error.js';

/** The part of the store that API users and tokens make up, implemented once per database. */
export type ApiAccessMethods = Pick<
  MetadataStore,
  | 'createApiUser'
  | 'getApiUser'
  | 'listApiUsers'
  | 'setApiUserDisabled'
  | 'createApiToken'
  | 'listApiTokens'
  | 'revokeApiToken'
  | 'verifyApiToken'
>;

/**
 * API bearer tokens: `cct_` and 32 random bytes in base64url (43 characters). The prefix lets a
 * secret scanner recognise a leaked token.
 *
 * Only SHA-256 of the token is stored, and looked up directly. Device secrets get a slow,
 * salted hash (scrypt, credentials.ts) because a device's secret may be weak and a stolen
 * database must not let it be guessed; a token is 256 random bits, which no guessing reaches
 * however fast the hash, so a fast unsalted hash is right here: it costs a request nothing and
 * makes the hash itself the unique, indexed lookup key. Looking up by hash also leaks nothing
 * through timing that helps an attacker, who cannot steer the hash of what they send.
 */
const TOKEN_PREFIX = 'cct_';
const TOKEN_BYTES = 32;
/** Generated tokens, and tokens an operator chose (`COLDCHAIN_ADMIN_TOKEN`): 32 to 256 printable characters. */
const TOKEN_SHAPE = /^[\x21-\x7e]{32,256}$/;

/** A new token id and token: generated, or the caller's own (checked for its shape: `invalid`). */
export function newApiToken(chosen?: string) {
  if (chosen !== undefined && !TOKEN_SHAPE.test(chosen))
    throw new StoreError('invalid', 'a chosen API token must be 32 to 256 printable ASCII characters');
  return {
    id: randomUUID(),
    token: chosen ?? `${TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString('base64url')}`,
  };
}

export const apiTokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Whether a string can be a token at all: anything else is refused without a lookup. */
export const isApiTokenShaped = (token: string) => TOKEN_SHAPE.test(token);

/** What a lookup by hash found, if the token may still be used at `nowMs`. */
export function usableApiToken(
  found: { user: ApiUser; token: ApiToken } | undefined,
  nowMs: number,
): { user: ApiUser; token: ApiToken } | null {
  if (!found || found.user.disabled || found.token.revokedAtMs !== null) return null;
  if (found.token.expiresAtMs !== null && found.token.expiresAtMs <= nowMs) return null;
  return found;
}

/**
 * Refuses a user the API could not scope (`invalid`): a shipper sees only its own shipments, so
 * it needs the shipper name they carry; an admin or operator sees everything and must not have one.
 */
export function checkApiUser(user: Pick<ApiUser, 'id' | 'role' | 'shipper'>): void {
  if (!API_ROLES.includes(user.role))
    throw new StoreError('invalid', `${String(user.role)} is not an API role`);
  if (user.role === 'shipper' && (user.shipper === null || user.shipper.trim() === ''))
    throw new StoreError('invalid', `user ${user.id} has the role shipper but names no shipper`);
  if (user.role !== 'shipper' && user.shipper !== null)
    throw new StoreError('invalid', `user ${user.id} is ${user.role}: only a shipper names a shipper`);
}
