import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { DeviceMark, LedgerIndex, LedgerRow } from './reading-ledger.js';

export interface SqliteLedgerIndex extends LedgerIndex {
  /** Safe to call twice. */
  close(): void;
}

export interface SqliteLedgerIndexOptions {
  file: string;
  now: () => number;
  /**
   * Whether the data folder already held history when the file is created (an upgrade from a
   * release without the ledger, or a deleted ledger file): then InfluxDB may hold readings the
   * index never saw, for as long as such readings could still be sent (`legacyWindowMs`).
   */
  hadHistory: boolean;
  legacyWindowMs: number;
  /** `always`: each commit is fsynced, as the journal is (survives a power loss). */
  sync: 'always' | 'os';
}

/**
 * The ledger's durable index in its own SQLite file (WAL), apart from the metadata store, so that
 * its write rate and size never slow credentials and alerts. Rows are keyed by (timestamp, device),
 * timestamp first: live data from every device lands at the right edge of the B-tree, where the
 * pages are hot, and pruning by age deletes from the left edge.
 */
export function openSqliteLedgerIndex(opts: SqliteLedgerIndexOptions): SqliteLedgerIndex {
  const created = !existsSync(opts.file);
  const db = new Database(opts.file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.sync === 'always' ? 'FULL' : 'NORMAL'}`);
  db.pragma('cache_size = -16000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS reading (
      ts_ms INTEGER NOT NULL,
      device TEXT NOT NULL,
      fields TEXT NOT NULL,
      PRIMARY KEY (ts_ms, device)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS device_mark (
      device TEXT PRIMARY KEY,
      hwm_ms INTEGER,
      legacy_until_ms INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;
  `);
  const getMeta = db.prepare<[string], number | null>('SELECT value FROM meta WHERE key = ?').pluck();
  const setMeta = db.prepare<[string, number | null]>(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  if (created) {
    setMeta.run('created_at_ms', opts.now());
    setMeta.run('legacy_ends_at_ms', opts.hadHistory ? opts.now() + opts.legacyWindowMs : null);
    setMeta.run('pruned_before_ms', null);
  }
  const legacyEndsAtMs = getMeta.get('legacy_ends_at_ms') ?? null;
  let prunedBeforeMs = getMeta.get('pruned_before_ms') ?? Number.NEGATIVE_INFINITY;

  const find = db
    .prepare<[number, string], string>('SELECT fields FROM reading WHERE ts_ms = ? AND device = ?')
    .pluck();
  const getMark = db.prepare<[string], { hwm_ms: number | null; legacy_until_ms: number | null }>(
    'SELECT hwm_ms, legacy_until_ms FROM device_mark WHERE device = ?',
  );
  const insert = db.prepare<[number, string, string]>(
    'INSERT INTO reading (ts_ms, device, fields) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const putMark = db.prepare<[string, number | null, number | null]>(
    `INSERT INTO device_mark (device, hwm_ms, legacy_until_ms) VALUES (?, ?, ?)
     ON CONFLICT (device) DO UPDATE SET
       hwm_ms = max(coalesce(hwm_ms, excluded.hwm_ms), coalesce(excluded.hwm_ms, hwm_ms)),
       legacy_until_ms = coalesce(excluded.legacy_until_ms, legacy_until_ms)`,
  );
  const prune = db.prepare<[number]>('DELETE FROM reading WHERE ts_ms < ?');
  const finite = (n: number | null) => (n === null || !Number.isFinite(n) ? null : n);
  // -Infinity (no legacy history) is kept as the smallest safe integer: NULL means "not asked".
  const legacyToDb = (n: number | null) =>
    n === null ? null : Number.isFinite(n) ? n : Number.MIN_SAFE_INTEGER;
  const legacyFromDb = (n: number | null) =>
    n === null ? null : n === Number.MIN_SAFE_INTEGER ? Number.NEGATIVE_INFINITY : n;

  const commit = db.transaction((rows: readonly LedgerRow[], marks: ReadonlyMap<string, DeviceMark>) => {
    for (const r of rows) insert.run(r.tsMs, r.deviceId, r.fields);
    for (const [deviceId, m] of marks) putMark.run(deviceId, finite(m.hwmMs), legacyToDb(m.legacyUntilMs));
  });
  const pruneTx = db.transaction((beforeMs: number) => {
    prune.run(beforeMs);
    setMeta.run('pruned_before_ms', beforeMs);
  });

  let closed = false;
  return {
    legacyEndsAtMs,
    prunedBeforeMs: () => prunedBeforeMs,
    mark(deviceId) {
      const row = getMark.get(deviceId);
      if (!row) return undefined;
      return {
        hwmMs: row.hwm_ms ?? Number.NEGATIVE_INFINITY,
        legacyUntilMs: legacyFromDb(row.legacy_until_ms),
      };
    },
    find: (deviceId, tsMs) => find.get(tsMs, deviceId),
    commit,
    prune(beforeMs) {
      if (beforeMs <= prunedBeforeMs) return;
      pruneTx(beforeMs);
      prunedBeforeMs = beforeMs;
    },
    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
