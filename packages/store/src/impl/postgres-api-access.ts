import type pg from 'pg';
import { StoreError } from '../store-error.js';
import {
  type ApiAccessMethods,
  apiTokenHash,
  checkApiUser,
  isApiTokenShaped,
  newApiToken,
  usableApiToken,
} from './api-access.js';
import {
  API_TOKEN_COLUMNS,
  API_USER_COLUMNS,
  apiTokenFromRow,
  apiTokenLookupFromRow,
  apiTokenLookupSql,
  apiUserFromRow,
} from './record-rows.js';

/** SQLSTATE of a unique violation. */
const UNIQUE_VIOLATION = '23505';

/** API users and their bearer tokens in the PostgreSQL metadata database (tables of migration 3). */
export function postgresApiAccess(pool: pg.Pool, now: () => number): ApiAccessMethods {
  const rows = async (sql: string, params: unknown[]) =>
    (await pool.query<Record<string, unknown>>(sql, params)).rows;

  return {
    async createApiUser(user) {
      checkApiUser(user);
      try {
        const [row] = await rows(
          `INSERT INTO api_users (id, name, role, shipper, created_at_ms) VALUES ($1, $2, $3, $4, $5)
           RETURNING ${API_USER_COLUMNS}`,
          [user.id, user.name, user.role, user.shipper, now()],
        );
        return apiUserFromRow(row as Record<string, unknown>);
      } catch (err) {
        if ((err as { code?: unknown }).code === UNIQUE_VIOLATION)
          throw new StoreError('conflict', `API user ${user.id} already exists`);
        throw err;
      }
    },
    async getApiUser(id) {
      const [row] = await rows(`SELECT ${API_USER_COLUMNS} FROM api_users WHERE id = $1`, [id]);
      return row ? apiUserFromRow(row) : null;
    },
    async listApiUsers() {
      return (await rows(`SELECT ${API_USER_COLUMNS} FROM api_users ORDER BY id`, [])).map(apiUserFromRow);
    },
    async setApiUserDisabled(id, disabled) {
      const [row] = await rows(
        `UPDATE api_users SET disabled = $1 WHERE id = $2 RETURNING ${API_USER_COLUMNS}`,
        [disabled, id],
      );
      if (!row) throw new StoreError('not_found', `API user ${id} does not exist`);
      return apiUserFromRow(row);
    },

    async createApiToken(userId, { label = '', expiresAtMs = null, token: chosen } = {}) {
      const { id, token } = newApiToken(chosen);
      // One statement: the token is issued only if its user exists at that moment. (The casts type
      // parameters that a SELECT list alone leaves unknown.)
      const [row] = await rows(
        `INSERT INTO api_tokens (id, user_id, label, token_hash, created_at_ms, expires_at_ms)
         SELECT $1::text, id, $2::text, $3::text, $4::bigint, $5::bigint FROM api_users WHERE id = $6
         RETURNING ${API_TOKEN_COLUMNS}`,
        [id, label, apiTokenHash(token), now(), expiresAtMs, userId],
      );
      if (!row) throw new StoreError('not_found', `API user ${userId} does not exist`);
      return { token, record: apiTokenFromRow(row) };
    },
    async listApiTokens(userId) {
      return (
        await rows(
          `SELECT ${API_TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at_ms, id`,
          [userId],
        )
      ).map(apiTokenFromRow);
    },
    async revokeApiToken(tokenId) {
      const [row] = await rows(
        `UPDATE api_tokens SET revoked_at_ms = COALESCE(revoked_at_ms, $1) WHERE id = $2
         RETURNING ${API_TOKEN_COLUMNS}`,
        [now(), tokenId],
      );
      if (!row) throw new StoreError('not_found', `API token ${tokenId} does not exist`);
      return apiTokenFromRow(row);
    },
    async verifyApiToken(token, nowMs) {
      if (!isApiTokenShaped(token)) return null;
      const [row] = await rows(apiTokenLookupSql('$1'), [apiTokenHash(token)]);
      return usableApiToken(row && apiTokenLookupFromRow(row), nowMs);
    },
  };
}
