/**
 * A bounded cache of what InfluxDB answered for one chunk of a device's history (a UTC day of a
 * leg, cut at the leg's ends): aggregate cells for windowed histories (`readLegWindows`), raw
 * readings for reports and excursions (`readDeviceHistoryCached`). Each chunk is kept with the
 * fingerprint it was read under: the number of stored values per field in that chunk. Readings are
 * only ever added (the ingest refuses a reading that would change a stored one, and duplicates
 * rewrite identical values), so a chunk whose counts are unchanged has unchanged contents; a chunk
 * that gained readings (a backlog) or lost some (retention) is read again. Callers ask InfluxDB
 * for the counts per chunk on every request, one cheap query, and read only the chunks that changed.
 */
export interface ChunkCache<T> {
  /** The contents of a chunk read under this fingerprint, or undefined. */
  get(key: string, fingerprint: string): readonly T[] | undefined;
  set(key: string, fingerprint: string, items: readonly T[]): void;
  /** Chunks held now. */
  size(): number;
  clear(): void;
}

/** One aggregate of one field over one grid cell (or the part of it inside a chunk). */
export interface CachedCell {
  fn: 'count' | 'sum' | 'min' | 'max';
  field: string;
  tsMs: number;
  value: number;
}

export type WindowCellCache = ChunkCache<CachedCell>;

/** Least recently used chunks go first once `maxChunks` are held. */
export function createChunkCache<T>(opts: { maxChunks?: number } = {}): ChunkCache<T> {
  const maxChunks = opts.maxChunks ?? 1_000;
  const chunks = new Map<string, { fingerprint: string; items: readonly T[] }>();
  return {
    get(key, fingerprint) {
      const entry = chunks.get(key);
      if (!entry || entry.fingerprint !== fingerprint) return undefined;
      chunks.delete(key);
      chunks.set(key, entry);
      return entry.items;
    },
    set(key, fingerprint, items) {
      if (maxChunks <= 0) return;
      chunks.delete(key);
      while (chunks.size >= maxChunks) {
        const oldest = chunks.keys().next().value;
        if (oldest === undefined) break;
        chunks.delete(oldest);
      }
      chunks.set(key, { fingerprint, items });
    },
    size: () => chunks.size,
    clear: () => chunks.clear(),
  };
}

/** A chunk of 15-minute cells of three sensors is about 1,150 cells. */
export const createWindowCellCache = (opts: { maxChunks?: number } = {}): WindowCellCache =>
  createChunkCache<CachedCell>(opts);

const DAY_MS = 86_400_000;

/** `[fromMs, toMs)` cut at UTC midnights: the chunks a cache keeps. */
export function utcDayChunks(fromMs: number, toMs: number): Array<{ startMs: number; stopMs: number }> {
  const out: Array<{ startMs: number; stopMs: number }> = [];
  for (let a = fromMs; a < toMs; ) {
    const b = Math.min(toMs, (Math.floor(a / DAY_MS) + 1) * DAY_MS);
    out.push({ startMs: a, stopMs: b });
    a = b;
  }
  return out;
}
