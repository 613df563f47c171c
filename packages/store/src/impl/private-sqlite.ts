import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** Owner-only modes for the data folder and what is in it: device credentials live there. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Opens a SQLite database in WAL mode that only its owner can read. The file is created with mode
 * 0600 before SQLite opens it, because SQLite creates the database with the process umask (0644
 * by default) but gives its `-wal` and `-shm` files the database file's own mode; files left
 * looser by an earlier release are tightened after the open, once those two exist.
 */
export function openPrivateSqlite(file: string): Database.Database {
  if (file === ':memory:') {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    return db;
  }
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  if (!existsSync(file)) closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  const db = new Database(file);
  enableWal(db);
  for (const path of [file, `${file}-wal`, `${file}-shm`]) tightenFile(path);
  return db;
}

/**
 * Switches to WAL, retrying while another process holds the lock: SQLite does not call the busy
 * handler for a journal-mode change that races another connection's first open of the same file,
 * so two processes starting at once could fail with SQLITE_BUSY despite the busy timeout.
 */
function enableWal(db: Database.Database, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

function tightenFile(path: string) {
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, PRIVATE_FILE_MODE);
  } catch (err) {
    // -wal and -shm exist only while a connection is open; another process may just have closed it.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Applies the schema versions a database lacks, in order, recording the last one in
 * `PRAGMA user_version`. All of them run in one `BEGIN IMMEDIATE` transaction that reads the
 * version again once it holds the write lock: two processes opening the same file at once
 * serialize here (the second waits for the busy timeout, then finds nothing left to do), and a
 * crash mid-way leaves the previous version whole.
 */
export function applyMigrations(db: Database.Database, migrations: readonly string[]): void {
  const pending = () => (db.pragma('user_version', { simple: true }) as number) < migrations.length;
  if (!pending()) return;
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < migrations.length; v++) db.exec(migrations[v] as string);
    if (version < migrations.length) db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}
