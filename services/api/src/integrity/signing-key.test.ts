import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadShareSecret, SHARE_SECRET_FILE } from '../sharing/share-token.js';
import { loadReportSigningKey, SIGNING_KEY_FILE } from './signing-key.js';

describe('secrets kept in the data folder', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('creates the signing key and share secret once, owner-only, and finds the same ones after a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coldchain-keys-'));
    dirs.push(dir);
    const key = loadReportSigningKey(dir);
    const secret = loadShareSecret(dir);
    expect(statSync(join(dir, SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, SHARE_SECRET_FILE)).mode & 0o777).toBe(0o600);
    expect(secret).toHaveLength(32);
    expect(loadReportSigningKey(dir).keyId).toBe(key.keyId);
    expect(loadShareSecret(dir).equals(secret)).toBe(true);
  });
});
