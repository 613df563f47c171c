import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { findInText, type PendingRows, rowsOfText } from './pending-rows.js';
import type { DeviceMark, LedgerIndex } from './reading-ledger.js';

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

/** Longest stretch of event time one chunk covers, which bounds the chunks a lookup reads. */
export const CHUNK_SPAN_MS = 60 * 60 * 1000;

/**
 * The ledger's durable index in its own SQLite file (WAL), apart from the metadata store, so that
 * its write rate and size never slow credentials and alerts.
 *
 * A row per reading would cost an SQLite insert per reading on the hot path (several µs each, a
 * large share of the ingest's budget at tens of thousands of readings per second). So each commit
 * stores, per device, its new readings as chunks: one row per device and stretch of at most
 * `CHUNK_SPAN_MS`, keyed by (device, first timestamp), with the readings as text lines
 * `\n<ts> <field set>` (TEXT, or the same bytes as a BLOB when a commit hands over the ledger's
 * buffer, see `PendingRows`). Inserts then scale with devices × commits, not with readings. A lookup
 * reads the device's chunks that start within `CHUNK_SPAN_MS` before the timestamp (a backlog
 * may have added a chunk overlapping an older one) and searches their text.
 */
export function openSqliteLedgerIndex(opts: SqliteLedgerIndexOptions): SqliteLedgerIndex {
  const created = !existsSync(opts.file);
  const db = new Database(opts.file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.sync === 'always' ? 'FULL' : 'NORMAL'}`);
  db.pragma('cache_size = -16000');
  // A rowid table, not WITHOUT ROWID: a chunk holds kilobytes, and SQLite keeps rows that large
  // in a WITHOUT ROWID b-tree at several times the cost of an insert into a rowid table (its
  // documentation advises WITHOUT ROWID only for rows smaller than about a twentieth of a page).
  db.exec(`
    CREATE TABLE IF NOT EXISTS reading_chunk (
      device TEXT NOT NULL,
      first_ts_ms INTEGER NOT NULL,
      last_ts_ms INTEGER NOT NULL,
      entries TEXT NOT NULL,
      PRIMARY KEY (device, first_ts_ms)
    );
    CREATE INDEX IF NOT EXISTS reading_chunk_by_age ON reading_chunk (last_ts_ms);
    CREATE TABLE IF NOT EXISTS device_mark (
      device TEXT PRIMARY KEY,
      hwm_ms INTEGER,
      legacy_until_ms INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;
  `);
  // Files of an earlier build kept the chunks in a WITHOUT ROWID table: moved over once.
  const oldTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chunk'").get();
  if (oldTable)
    db.transaction(() => {
      db.exec(
        'INSERT OR IGNORE INTO reading_chunk SELECT device, first_ts_ms, last_ts_ms, entries FROM chunk',
      );
      db.exec('DROP TABLE chunk');
    })();
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

  const candidates = db
    .prepare<[string, number, number, number], string | Buffer>(
      'SELECT entries FROM reading_chunk WHERE device = ? AND first_ts_ms BETWEEN ? AND ? AND last_ts_ms >= ?',
    )
    .pluck();
  const getMark = db.prepare<[string], { hwm_ms: number | null; legacy_until_ms: number | null }>(
    'SELECT hwm_ms, legacy_until_ms FROM device_mark WHERE device = ?',
  );
  const insert = db.prepare<[string, number, number, string | Buffer]>(
    // The ledger never commits a timestamp twice, so a chunk never starts where another does; were
    // it to, nothing is lost: the entries are appended to that chunk.
    `INSERT INTO reading_chunk (device, first_ts_ms, last_ts_ms, entries) VALUES (?, ?, ?, ?)
     ON CONFLICT (device, first_ts_ms) DO UPDATE SET
       last_ts_ms = max(last_ts_ms, excluded.last_ts_ms), entries = entries || excluded.entries`,
  );
  const putMark = db.prepare<[string, number | null, number | null]>(
    `INSERT INTO device_mark (device, hwm_ms, legacy_until_ms) VALUES (?, ?, ?)
     ON CONFLICT (device) DO UPDATE SET
       hwm_ms = max(coalesce(hwm_ms, excluded.hwm_ms), coalesce(excluded.hwm_ms, hwm_ms)),
       legacy_until_ms = coalesce(excluded.legacy_until_ms, legacy_until_ms)`,
  );
  const prune = db.prepare<[number]>('DELETE FROM reading_chunk WHERE last_ts_ms < ?');
  const finite = (n: number | null) => (n === null || !Number.isFinite(n) ? null : n);
  // -Infinity (no legacy history) is kept as the smallest safe integer: NULL means "not asked".
  const legacyToDb = (n: number | null) =>
    n === null ? null : Number.isFinite(n) ? n : Number.MIN_SAFE_INTEGER;
  const legacyFromDb = (n: number | null) =>
    n === null ? null : n === Number.MIN_SAFE_INTEGER ? Number.NEGATIVE_INFINITY : n;

  /** Rows out of order or over more than a chunk's span (a backlog, recovery): sorted and cut. */
  const insertChunked = (deviceId: string, rows: PendingRows) => {
    const r = rowsOfText(rows.text());
    let order = r.ts.map((_, i) => i);
    if (!rows.ordered) order = order.sort((a, b) => (r.ts[a] as number) - (r.ts[b] as number));
    let first = 0;
    while (first < order.length) {
      const firstTs = r.ts[order[first] as number] as number;
      let text = '';
      let last = first;
      for (; last < order.length; last++) {
        const i = order[last] as number;
        const ts = r.ts[i] as number;
        if (ts - firstTs > CHUNK_SPAN_MS) break;
        text += `\n${ts} ${r.fields[i]}`;
      }
      insert.run(deviceId, firstTs, r.ts[order[last - 1] as number] as number, text);
      first = last;
    }
  };

  const commit = db.transaction(
    (rows: ReadonlyMap<string, PendingRows>, marks: ReadonlyMap<string, DeviceMark>) => {
      for (const [deviceId, r] of rows) {
        if (r.count === 0) continue;
        // Live data: in order and within one span, so the held text is the chunk as it is (stored
        // as bytes; `find` reads text and bytes alike).
        if (r.ordered && r.maxTs - r.minTs <= CHUNK_SPAN_MS) insert.run(deviceId, r.minTs, r.maxTs, r.text());
        else insertChunked(deviceId, r);
      }
      for (const [deviceId, m] of marks) putMark.run(deviceId, finite(m.hwmMs), legacyToDb(m.legacyUntilMs));
    },
  );
  const find = (deviceId: string, tsMs: number): string | undefined => {
    for (const text of candidates.all(deviceId, tsMs - CHUNK_SPAN_MS, tsMs, tsMs)) {
      const fields = findInText(text, tsMs);
      if (fields !== undefined) return fields;
    }
    return undefined;
  };
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
    find,
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
