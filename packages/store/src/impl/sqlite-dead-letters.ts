import type Database from 'better-sqlite3';
import type { DeadLetter, DeadLetterLimits, DeadLetterStats, NewDeadLetter } from '../store.js';
import { applyMigrations, openPrivateSqlite } from './private-sqlite.js';

/** Dead-letter payloads are kept up to this many bytes: enough to see what was wrong. */
export const DEAD_LETTER_PAYLOAD_BYTES = 4096;

const DAY_MS = 86_400_000;

/**
 * At most 100 samples per device and 10,000 in all (about 45 MB at the 4 KiB payload limit),
 * each for 30 days (as long as a device may send a backlog): enough to see what a device sends
 * wrong, not enough for a flood to fill the disk.
 */
export const DEFAULT_DEAD_LETTER_LIMITS: DeadLetterLimits = {
  perDevice: 100,
  total: 10_000,
  retentionMs: 30 * DAY_MS,
};

/** Samples deleted per prune step: bounded, so that the dead letter that runs a prune stays cheap. */
const PRUNE_BATCH = 1000;
/** How often a dead letter also runs a prune step (expired samples, caps lowered since the last start). */
const PRUNE_EVERY_MS = 60_000;

/** The key of dead letters whose topic named no device (counts and samples need a non-null key). */
const NO_DEVICE = '';

const MIGRATIONS: string[] = [
  // Counts are counters, bumped per dead letter, never derived from the samples: they stay exact
  // when samples are capped or expire. `dead_letter_devices` and `dead_letter_totals` hold the
  // number of samples stored, kept by triggers, so that the caps are checked without a COUNT(*).
  `CREATE TABLE dead_letters (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     device_id TEXT NOT NULL,
     topic TEXT NOT NULL,
     arrived_at_ms INTEGER NOT NULL,
     reason TEXT NOT NULL,
     problems TEXT NOT NULL,
     payload TEXT NOT NULL,
     payload_bytes INTEGER NOT NULL
   );
   CREATE INDEX dead_letters_device ON dead_letters (device_id, id);
   CREATE INDEX dead_letters_arrived ON dead_letters (arrived_at_ms);
   CREATE TABLE dead_letter_counts (
     device_id TEXT NOT NULL,
     reason TEXT NOT NULL,
     count INTEGER NOT NULL,
     dropped INTEGER NOT NULL DEFAULT 0,
     last_at_ms INTEGER NOT NULL,
     PRIMARY KEY (device_id, reason)
   ) WITHOUT ROWID;
   CREATE TABLE dead_letter_devices (
     device_id TEXT PRIMARY KEY,
     stored INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE dead_letter_totals (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     stored INTEGER NOT NULL
   );
   INSERT INTO dead_letter_totals (id, stored) VALUES (1, 0);
   CREATE TRIGGER dead_letter_stored AFTER INSERT ON dead_letters BEGIN
     INSERT INTO dead_letter_devices (device_id, stored) VALUES (NEW.device_id, 1)
       ON CONFLICT (device_id) DO UPDATE SET stored = stored + 1;
     UPDATE dead_letter_totals SET stored = stored + 1 WHERE id = 1;
   END;
   CREATE TRIGGER dead_letter_deleted AFTER DELETE ON dead_letters BEGIN
     UPDATE dead_letter_devices SET stored = stored - 1 WHERE device_id = OLD.device_id;
     UPDATE dead_letter_totals SET stored = stored - 1 WHERE id = 1;
   END;
   CREATE TABLE dead_letter_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
];

export interface SqliteDeadLetters {
  add(letter: NewDeadLetter): { stored: boolean };
  list(opts?: { deviceId?: string; limit?: number }): DeadLetter[];
  countByReason(): Record<string, number>;
  countByDevice(deviceId: string | null): Record<string, number>;
  stats(): DeadLetterStats;
  prune(): number;
  close(): void;
}

export interface SqliteDeadLettersOptions {
  /** Database file of its own, or `:memory:`. */
  file: string;
  limits: DeadLetterLimits;
  now: () => number;
  /** The metadata database of an earlier release, whose `dead_letters` table is moved here once. */
  legacy?: Database.Database;
}

/**
 * Dead letters in a SQLite file of their own: a flood of invalid messages writes here, never to
 * the database with credentials and alerts, so it can neither grow that file nor hold its write
 * lock. Synchronous `NORMAL` (no fsync per dead letter; WAL still survives a process crash) keeps
 * a flood cheap. Each dead letter bumps its counters in one transaction and stores a sample only
 * while its device and the total are under their caps: past a cap a flood costs one small row
 * update per message, and the first samples of a flood are the ones kept. Samples past their retention
 * are deleted in bounded steps, at open and at most once a minute.
 */
export function openSqliteDeadLetters(opts: SqliteDeadLettersOptions): SqliteDeadLetters {
  const { limits, now } = opts;
  const db = openPrivateSqlite(opts.file);
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  applyMigrations(db, MIGRATIONS);

  const stmt = {
    // One row write per dead letter whose sample is dropped: a flood past the caps costs this.
    count: db.prepare(
      `INSERT INTO dead_letter_counts (device_id, reason, count, dropped, last_at_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (device_id, reason) DO UPDATE SET count = count + excluded.count,
         dropped = dropped + excluded.dropped, last_at_ms = MAX(last_at_ms, excluded.last_at_ms)`,
    ),
    room: db.prepare(
      `SELECT (SELECT stored FROM dead_letter_devices WHERE device_id = ?) AS device, stored AS total
       FROM dead_letter_totals WHERE id = 1`,
    ),
    insert: db.prepare(
      `INSERT INTO dead_letters (device_id, topic, arrived_at_ms, reason, problems, payload, payload_bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    byReason: db.prepare('SELECT reason, SUM(count) AS n FROM dead_letter_counts GROUP BY reason'),
    byDevice: db.prepare('SELECT reason, count AS n FROM dead_letter_counts WHERE device_id = ?'),
    totals: db.prepare(
      `SELECT stored, (SELECT COALESCE(SUM(dropped), 0) FROM dead_letter_counts) AS dropped
       FROM dead_letter_totals WHERE id = 1`,
    ),
    pruneExpired: db.prepare(
      `DELETE FROM dead_letters WHERE id IN
         (SELECT id FROM dead_letters WHERE arrived_at_ms < ? ORDER BY arrived_at_ms LIMIT ?)`,
    ),
    pruneOldest: db.prepare(
      'DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters ORDER BY id LIMIT ?)',
    ),
    overDevice: db.prepare('SELECT device_id, stored FROM dead_letter_devices WHERE stored > ? LIMIT 100'),
    pruneOldestOfDevice: db.prepare(
      'DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE device_id = ? ORDER BY id LIMIT ?)',
    ),
    meta: db.prepare('SELECT value FROM dead_letter_meta WHERE key = ?').pluck(),
    setMeta: db.prepare('INSERT OR REPLACE INTO dead_letter_meta (key, value) VALUES (?, ?)'),
  };

  /** Stores a sample if its device and the total are under their caps. */
  const storeSample = (deviceKey: string, letter: NewDeadLetter | LegacyRow): boolean => {
    const room = stmt.room.get(deviceKey) as { device: number | null; total: number };
    if ((room.device ?? 0) >= limits.perDevice || room.total >= limits.total) return false;
    stmt.insert.run(
      deviceKey,
      letter.topic,
      letter.arrivedAtMs,
      letter.reason,
      JSON.stringify(letter.problems),
      typeof letter.payload === 'string'
        ? letter.payload
        : letter.payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES).toString('utf8'),
      letter.payloadBytes,
    );
    return true;
  };

  const add = db.transaction((letter: NewDeadLetter): boolean => {
    const deviceKey = letter.deviceId ?? NO_DEVICE;
    const stored = storeSample(deviceKey, letter);
    stmt.count.run(deviceKey, letter.reason, 1, stored ? 0 : 1, letter.arrivedAtMs);
    return stored;
  });

  /** Deletes at most `batch` samples: expired ones first, then any over a cap lowered since they were stored. */
  const pruneStep = db.transaction((batch: number): number => {
    let deleted = stmt.pruneExpired.run(now() - limits.retentionMs, batch).changes;
    const { stored } = stmt.totals.get() as { stored: number };
    if (deleted < batch && stored > limits.total)
      deleted += stmt.pruneOldest.run(Math.min(stored - limits.total, batch - deleted)).changes;
    if (deleted < batch) {
      for (const d of stmt.overDevice.all(limits.perDevice) as Array<{ device_id: string; stored: number }>) {
        if (deleted >= batch) break;
        const excess = Math.min(d.stored - limits.perDevice, batch - deleted);
        deleted += stmt.pruneOldestOfDevice.run(d.device_id, excess).changes;
      }
    }
    return deleted;
  });
  let nextPruneAtMs = Number.NEGATIVE_INFINITY;
  const prune = () => {
    let deleted = 0;
    let n: number;
    do {
      n = pruneStep(PRUNE_BATCH);
      deleted += n;
    } while (n === PRUNE_BATCH);
    nextPruneAtMs = now() + PRUNE_EVERY_MS;
    return deleted;
  };

  if (opts.legacy) importLegacy(opts.legacy);
  prune();

  /**
   * An earlier release kept dead letters in the metadata database. Their counts and the samples
   * still within retention and the caps move here, in one transaction marked done, so that a crash
   * before the old table is dropped cannot import them twice.
   */
  function importLegacy(legacy: Database.Database) {
    const exists = legacy
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dead_letters'")
      .get();
    if (!exists) return;
    if (stmt.meta.get('legacy_imported') === undefined) {
      db.transaction(() => {
        const counts = legacy
          .prepare(
            `SELECT device_id, reason, COUNT(*) AS n, MAX(arrived_at_ms) AS last
             FROM dead_letters GROUP BY device_id, reason`,
          )
          .all() as Array<{ device_id: string | null; reason: string; n: number; last: number }>;
        for (const c of counts) stmt.count.run(c.device_id ?? NO_DEVICE, c.reason, c.n, 0, c.last);
        const rows = legacy
          .prepare('SELECT * FROM dead_letters WHERE arrived_at_ms >= ? ORDER BY id')
          .iterate(now() - limits.retentionMs) as IterableIterator<Record<string, unknown>>;
        for (const r of rows) {
          storeSample((r.device_id as string | null) ?? NO_DEVICE, {
            topic: String(r.topic),
            arrivedAtMs: Number(r.arrived_at_ms),
            reason: String(r.reason),
            problems: JSON.parse(String(r.problems)) as string[],
            payload: String(r.payload),
            payloadBytes: Number(r.payload_bytes),
          });
        }
        stmt.setMeta.run('legacy_imported', String(now()));
      })();
    }
    legacy.exec('DROP TABLE dead_letters');
  }

  return {
    add(letter) {
      // Expired samples go first, so that the room they leave is there for this one.
      if (now() >= nextPruneAtMs) {
        const n = pruneStep(PRUNE_BATCH);
        // A full step leaves more to do: the next dead letter takes the next step.
        nextPruneAtMs = n === PRUNE_BATCH ? now() : now() + PRUNE_EVERY_MS;
      }
      return { stored: add(letter) };
    },
    list({ deviceId, limit = 100 } = {}) {
      const rows = (
        deviceId === undefined
          ? db.prepare('SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?').all(limit)
          : db
              .prepare('SELECT * FROM dead_letters WHERE device_id = ? ORDER BY id DESC LIMIT ?')
              .all(deviceId, limit)
      ) as Array<Record<string, unknown>>;
      return rows.map((r) => ({
        id: Number(r.id),
        deviceId: r.device_id === NO_DEVICE ? null : String(r.device_id),
        topic: String(r.topic),
        arrivedAtMs: Number(r.arrived_at_ms),
        reason: String(r.reason),
        problems: JSON.parse(String(r.problems)) as string[],
        payload: String(r.payload),
        payloadBytes: Number(r.payload_bytes),
      }));
    },
    countByReason: () => toCounts(stmt.byReason.all()),
    countByDevice: (deviceId) => toCounts(stmt.byDevice.all(deviceId ?? NO_DEVICE)),
    stats() {
      const t = stmt.totals.get() as { stored: number; dropped: number };
      return { byReason: toCounts(stmt.byReason.all()), stored: t.stored, dropped: t.dropped };
    },
    prune,
    close: () => db.close(),
  };
}

type LegacyRow = Omit<NewDeadLetter, 'payload' | 'deviceId'> & { payload: string };

function toCounts(rows: unknown[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows as Array<{ reason: string; n: number }>) out[r.reason] = r.n;
  return out;
}
