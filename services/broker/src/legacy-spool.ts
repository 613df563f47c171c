import { existsSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Spool } from './spool.js';

/**
 * Moves the messages of a spool left by an earlier release (SQLite, `broker-spool.db`) into the
 * current spool, then renames the old file to `…imported` so it is read only once. Resolves with
 * the number of messages moved (0 when there is no old file).
 */
export async function importLegacySpool(file: string, spool: Spool): Promise<number> {
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  let rows: Array<{ topic: string; payload: Buffer }>;
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'spool'").get();
    rows = hasTable ? (db.prepare('SELECT topic, payload FROM spool ORDER BY id').all() as typeof rows) : [];
  } finally {
    db.close();
  }
  await Promise.all(
    rows.map(
      (r) =>
        new Promise<void>((resolve, reject) =>
          spool.add(r.topic, r.payload, (err) => (err ? reject(err) : resolve())),
        ),
    ),
  );
  renameSync(file, `${file}.imported`);
  return rows.length;
}
