import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The ingest's promise: an on-disk journal of line protocol. Accepted readings are appended and
 * flushed to disk (fdatasync) before their PUBACK goes out; the InfluxDB writer removes a segment
 * only after InfluxDB confirmed every line of it. When InfluxDB is down, the journal grows on
 * disk, not in memory.
 *
 * Layout: numbered segment files in one folder. The active one is `NNNNNNNNNN.open`; sealing
 * renames it to `NNNNNNNNNN.lp`, and only sealed segments are written to InfluxDB. A crash can
 * leave a torn last line in an `.open` file: it is sealed on start and the incomplete line is
 * ignored — it was never flushed, so never acknowledged, and the broker redelivers it.
 */
export interface Journal {
  /** Appends lines; resolves once they are flushed to disk. Concurrent appends share one flush. */
  append(lines: readonly string[]): Promise<void>;
  /** Seals the active segment if it holds anything, so the writer can take it. */
  seal(): Promise<void>;
  /** Lines flushed to the active segment so far: the writer seals it early once it holds a full batch. */
  activeLines(): number;
  /** Sealed segments, oldest first. */
  sealed(): string[];
  /** The complete lines of a sealed segment. */
  read(segment: string): Promise<string[]>;
  /**
   * The complete lines of a sealed segment as one text (each line ended by `\n`) and their count:
   * what the writer posts as it is when the segment fits in one request.
   */
  readText(segment: string): Promise<{ text: string; lines: number }>;
  /** Deletes a segment once InfluxDB has confirmed it. */
  remove(segment: string): Promise<void>;
  /** Moves a segment InfluxDB refused as malformed aside, with the reason, for an operator to look at. */
  quarantine(segment: string, reason: string): Promise<void>;
  stats(): JournalStats;
  /** Resolves when the journal is under its size limit (immediately if it is). */
  waitForRoom(): Promise<void>;
  /** Seals and closes. Safe to call twice. */
  close(): Promise<void>;
}

export interface JournalStats {
  /** Bytes in all segments not yet confirmed by InfluxDB. */
  bytes: number;
  segments: number;
  maxBytes: number;
  /** True once `bytes` passed the warning threshold (and until it falls under it again). */
  overWarning: boolean;
}

export interface JournalOptions {
  dir: string;
  /** A segment is sealed when it reaches this size. */
  segmentBytes?: number;
  /** Appends wait (backpressure) while the journal holds more than this. */
  maxBytes?: number;
  /** Fraction of maxBytes past which `onWarning` fires. */
  warnFraction?: number;
  /** `always`: fdatasync before an append resolves (the default). `os`: leave it to the OS (survives a process crash, not a power loss). */
  sync?: 'always' | 'os';
  onWarning?: (stats: JournalStats) => void;
}

const SEALED = '.lp';
const OPEN = '.open';
const name = (n: number, ext: string) => `${String(n).padStart(10, '0')}${ext}`;

interface Pending {
  data: string;
  lines: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export async function openJournal(opts: JournalOptions): Promise<Journal> {
  const dir = opts.dir;
  const segmentBytes = opts.segmentBytes ?? 4 * 1024 * 1024;
  const maxBytes = opts.maxBytes ?? 2 * 1024 * 1024 * 1024;
  const warnBytes = maxBytes * (opts.warnFraction ?? 0.5);
  // Owner only: the journal holds every device's readings.
  await mkdir(join(dir, 'quarantine'), { recursive: true, mode: 0o700 });

  // Seal whatever a previous run left open, then count what is waiting.
  let next = 1;
  const sealedSegments: string[] = [];
  const sizes = new Map<string, number>();
  for (const file of (await readdir(dir)).sort()) {
    const n = Number.parseInt(file, 10);
    if (!Number.isFinite(n)) continue;
    next = Math.max(next, n + 1);
    let path = join(dir, file);
    if (file.endsWith(OPEN)) {
      const sealedPath = join(dir, name(n, SEALED));
      await rename(path, sealedPath);
      path = sealedPath;
    } else if (!file.endsWith(SEALED)) continue;
    sealedSegments.push(path);
    sizes.set(path, (await stat(path)).size);
  }
  let totalBytes = [...sizes.values()].reduce((a, b) => a + b, 0);

  let active: { path: string; handle: FileHandle; bytes: number; lines: number } | null = null;
  let pending: Pending[] = [];
  let flushing: Promise<void> | null = null;
  let sealRequested = false;
  let closed = false;
  let warned = false;
  const roomWaiters: Array<() => void> = [];

  const stats = (): JournalStats => ({
    bytes: totalBytes,
    segments: sealedSegments.length + (active ? 1 : 0),
    maxBytes,
    overWarning: warned,
  });
  const checkThresholds = () => {
    if (!warned && totalBytes > warnBytes) {
      warned = true;
      opts.onWarning?.(stats());
    } else if (warned && totalBytes < warnBytes * 0.9) {
      warned = false;
    }
    if (totalBytes < maxBytes) for (const wake of roomWaiters.splice(0)) wake();
  };

  const sealActive = async () => {
    if (!active) return;
    const { path, handle, bytes } = active;
    active = null;
    await handle.close();
    const sealedPath = path.slice(0, -OPEN.length) + SEALED;
    await rename(path, sealedPath);
    sizes.set(sealedPath, bytes);
    sealedSegments.push(sealedPath);
  };

  // Group commit: everything appended while a flush runs goes out in the next one.
  const flushLoop = async () => {
    while (pending.length > 0 || sealRequested) {
      const batch = pending;
      pending = [];
      try {
        if (batch.length > 0) {
          if (!active) {
            const path = join(dir, name(next++, OPEN));
            active = { path, handle: await open(path, 'a', 0o600), bytes: 0, lines: 0 };
          }
          const buf = Buffer.from(batch.map((p) => p.data).join(''), 'utf8');
          await active.handle.write(buf);
          if (opts.sync !== 'os') await active.handle.datasync();
          active.bytes += buf.length;
          for (const p of batch) active.lines += p.lines;
          totalBytes += buf.length;
        }
        if (sealRequested || (active && active.bytes >= segmentBytes)) {
          sealRequested = false;
          await sealActive();
        }
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
      checkThresholds();
    }
    flushing = null;
  };
  const kick = () => {
    flushing ??= flushLoop();
    return flushing;
  };

  return {
    append(lines) {
      if (closed) return Promise.reject(new Error('journal is closed'));
      if (lines.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        pending.push({ data: `${lines.join('\n')}\n`, lines: lines.length, resolve, reject });
        void kick();
      });
    },
    async seal() {
      if (!active && pending.length === 0) return;
      sealRequested = true;
      await kick();
    },
    sealed: () => [...sealedSegments],
    activeLines: () => active?.lines ?? 0,
    async readText(segment) {
      const raw = await readFile(segment, 'utf8');
      // Up to the last newline: after it comes nothing, or a torn line that was never acknowledged.
      const text = raw.slice(0, raw.lastIndexOf('\n') + 1);
      let lines = 0;
      for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
      return { text, lines };
    },
    async read(segment) {
      const text = await readFile(segment, 'utf8');
      const lines = text.split('\n');
      lines.pop(); // after the last newline: empty, or a torn line that was never acknowledged
      return lines;
    },
    async remove(segment) {
      await rm(segment, { force: true });
      const i = sealedSegments.indexOf(segment);
      if (i >= 0) sealedSegments.splice(i, 1);
      totalBytes -= sizes.get(segment) ?? 0;
      sizes.delete(segment);
      checkThresholds();
    },
    async quarantine(segment, reason) {
      const target = join(dir, 'quarantine', segment.slice(dir.length + 1));
      await rename(segment, target);
      await writeFile(`${target}.reason.txt`, `${reason}\n`, { mode: 0o600 });
      const i = sealedSegments.indexOf(segment);
      if (i >= 0) sealedSegments.splice(i, 1);
      totalBytes -= sizes.get(segment) ?? 0;
      sizes.delete(segment);
      checkThresholds();
    },
    stats,
    waitForRoom() {
      if (totalBytes < maxBytes) return Promise.resolve();
      return new Promise((resolve) => roomWaiters.push(resolve));
    },
    async close() {
      if (closed) return;
      closed = true;
      await flushing;
      await sealActive();
      for (const wake of roomWaiters.splice(0)) wake();
    },
  };
}
