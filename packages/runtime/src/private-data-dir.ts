import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';

/** Entries named in the log line when a data folder had to be tightened. */
const LOGGED_PATHS = 10;

/**
 * Makes the data folder private to the service user: the folder is created with mode 0700, and
 * whatever an earlier release or another tool left readable by group or others in it (the
 * metadata database with device credentials, the journal, the spool, InfluxDB's files) loses
 * those bits, with one warning saying what was changed. Each component also creates its own files
 * with owner-only modes; this covers what was created before it did, and files whose creator
 * follows the umask (influxd).
 */
export function makeDataDirPrivate(dir: string, log: Logger): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tightened: string[] = [];
  const failed: Array<{ path: string; code: string | undefined }> = [];
  const visit = (path: string) => {
    let mode: number;
    let isDir: boolean;
    try {
      const st = lstatSync(path);
      // A symlink's target is not ours to judge, and chmod would follow it.
      if (st.isSymbolicLink()) return;
      mode = st.mode & 0o777;
      isDir = st.isDirectory();
    } catch {
      return; // removed while we looked (a journal segment written to InfluxDB, a WAL file)
    }
    if ((mode & 0o077) !== 0) {
      try {
        chmodSync(path, isDir ? 0o700 : mode & 0o700);
        tightened.push(path);
      } catch (err) {
        failed.push({ path, code: (err as NodeJS.ErrnoException).code });
      }
    }
    if (!isDir) return;
    let names: string[] = [];
    try {
      names = readdirSync(path);
    } catch {
      return;
    }
    for (const name of names) visit(join(path, name));
  };
  visit(dir);
  if (tightened.length > 0)
    log.warn(
      { dataDir: dir, tightened: tightened.length, paths: tightened.slice(0, LOGGED_PATHS) },
      'data folder entries were readable by others: made private to the service user',
    );
  if (failed.length > 0)
    log.error(
      { dataDir: dir, failed: failed.length, entries: failed.slice(0, LOGGED_PATHS) },
      'could not make data folder entries private (owned by another user?)',
    );
}
