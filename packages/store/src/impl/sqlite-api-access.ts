import type Database from 'better-sqlite3';
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

type Row = Record<string, unknown>;

/** API users and their bearer tokens in the SQLite metadata database (tables of schema version 7). */
export function sqliteApiAccess(db: Database.Database, now: () => number): ApiAccessMethods {
  const stmt = {
    insertUser: db.prepare(
      `INSERT INTO api_users (id, name, role, shipper, created_at_ms) VALUES (?, ?, ?, ?, ?)
       RETURNING ${API_USER_COLUMNS}`,
    ),
    getUser: db.prepare(`SELECT ${API_USER_COLUMNS} FROM api_users WHERE id = ?`),
    listUsers: db.prepare(`SELECT ${API_USER_COLUMNS} FROM api_users ORDER BY id`),
    setDisabled: db.prepare(`UPDATE api_users SET disabled = ? WHERE id = ? RETURNING ${API_USER_COLUMNS}`),
    // One statement: the token is issued only if its user exists at that moment.
    insertToken: db.prepare(
      `INSERT INTO api_tokens (id, user_id, label, token_hash, created_at_ms, expires_at_ms)
       SELECT ?, id, ?, ?, ?, ? FROM api_users WHERE id = ?
       RETURNING ${API_TOKEN_COLUMNS}`,
    ),
    listTokens: db.prepare(
      `SELECT ${API_TOKEN_COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY created_at_ms, id`,
    ),
    revokeToken: db.prepare(
      `UPDATE api_tokens SET revoked_at_ms = COALESCE(revoked_at_ms, ?) WHERE id = ?
       RETURNING ${API_TOKEN_COLUMNS}`,
    ),
    lookupToken: db.prepare(apiTokenLookupSql('?')),
  };

  return {
    async createApiUser(user) {
      checkApiUser(user);
      try {
        return apiUserFromRow(stmt.insertUser.get(user.id, user.name, user.role, user.shipper, now()) as Row);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
          throw new StoreError('conflict', `API user ${user.id} already exists`);
        throw err;
      }
    },
    async getApiUser(id) {
      const row = stmt.getUser.get(id) as Row | undefined;
      return row ? apiUserFromRow(row) : null;
    },
    listApiUsers: async () => (stmt.listUsers.all() as Row[]).map(apiUserFromRow),
    async setApiUserDisabled(id, disabled) {
      const row = stmt.setDisabled.get(disabled ? 1 : 0, id) as Row | undefined;
      if (!row) throw new StoreError('not_found', `API user ${id} does not exist`);
      return apiUserFromRow(row);
    },

    async createApiToken(userId, { label = '', expiresAtMs = null, token: chosen } = {}) {
      const { id, token } = newApiToken(chosen);
      const row = stmt.insertToken.get(id, label, apiTokenHash(token), now(), expiresAtMs, userId) as
        | Row
        | undefined;
      if (!row) throw new StoreError('not_found', `API user ${userId} does not exist`);
      return { token, record: apiTokenFromRow(row) };
    },
    listApiTokens: async (userId) => (stmt.listTokens.all(userId) as Row[]).map(apiTokenFromRow),
    async revokeApiToken(tokenId) {
      const row = stmt.revokeToken.get(now(), tokenId) as Row | undefined;
      if (!row) throw new StoreError('not_found', `API token ${tokenId} does not exist`);
      return apiTokenFromRow(row);
    },
    async verifyApiToken(token, nowMs) {
      if (!isApiTokenShaped(token)) return null;
      const row = stmt.lookupToken.get(apiTokenHash(token)) as Row | undefined;
      return usableApiToken(row && apiTokenLookupFromRow(row), nowMs);
    },
  };
}
