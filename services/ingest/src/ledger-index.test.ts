import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CHUNK_SPAN_MS, openSqliteLedgerIndex } from './ledger-index.js';
import { PendingRows } from './pending-rows.js';

const T = Date.UTC(2026, 5, 1, 12);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile() {
  const dir = mkdtempSync(join(tmpdir(), 'coldchain-ledger-index-'));
  dirs.push(dir);
  return join(dir, 'ingest-ledger.db');
}

const open = (file: string) =>
  openSqliteLedgerIndex({ file, now: () => T, hadHistory: false, legacyWindowMs: 0, sync: 'os' });

const rowsOf = (entries: Array<[number, string]>) => {
  const rows = new PendingRows();
  for (const [ts, fields] of entries) rows.push(ts, fields);
  return rows;
};

describe('the ledger index', () => {
  it('finds committed readings, live (in order, one chunk) and backlog (out of order, over several chunks)', () => {
    const file = tempFile();
    const index = open(file);
    const live = rowsOf([
      [T, 'temp_air=4'],
      [T + 1000, 'temp_air=4.1'],
    ]);
    const backlog = rowsOf([
      [T - 1000, 'temp_air=5'],
      [T - 3 * CHUNK_SPAN_MS, 'temp_air=6'],
      [T - 2 * CHUNK_SPAN_MS, 'temp_air=7'],
    ]);
    index.commit(
      new Map([
        ['truck-1', live],
        ['truck-2', backlog],
      ]),
      new Map(),
    );
    index.close();
    const again = open(file);
    expect([again.find('truck-1', T), again.find('truck-1', T + 1000), again.find('truck-1', T + 1)]).toEqual(
      ['temp_air=4', 'temp_air=4.1', undefined],
    );
    expect(
      [T - 1000, T - 3 * CHUNK_SPAN_MS, T - 2 * CHUNK_SPAN_MS].map((ts) => again.find('truck-2', ts)),
    ).toEqual(['temp_air=5', 'temp_air=6', 'temp_air=7']);
    expect(again.find('truck-2', T)).toBeUndefined();
    again.close();
  });

  it('takes over the chunks of a file written by an earlier build', () => {
    const file = tempFile();
    const old = new Database(file);
    old.exec(`
      CREATE TABLE chunk (
        device TEXT NOT NULL, first_ts_ms INTEGER NOT NULL, last_ts_ms INTEGER NOT NULL,
        entries TEXT NOT NULL, PRIMARY KEY (device, first_ts_ms)
      ) WITHOUT ROWID;
      CREATE INDEX chunk_by_age ON chunk (last_ts_ms);
      CREATE TABLE device_mark (device TEXT PRIMARY KEY, hwm_ms INTEGER, legacy_until_ms INTEGER) WITHOUT ROWID;
      CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;
    `);
    old
      .prepare('INSERT INTO chunk VALUES (?, ?, ?, ?)')
      .run('truck-1', T, T + 60_000, `\n${T} temp_air=30,seq=4i\n${T + 60_000} temp_air=31,seq=5i`);
    old.prepare("INSERT INTO device_mark VALUES ('truck-1', ?, NULL)").run(T + 60_000);
    old.close();
    const index = open(file);
    expect(index.find('truck-1', T)).toBe('temp_air=30,seq=4i');
    expect(index.find('truck-1', T + 60_000)).toBe('temp_air=31,seq=5i');
    expect(index.mark('truck-1')?.hwmMs).toBe(T + 60_000);
    index.close();
  });
});
