/**
 * A bounded cache of a shipment history's aggregate cells, by device, fields, grid and chunk (a UTC
 * day of a leg, cut at the leg's ends). Each chunk is kept with the fingerprint it was computed
 * under: the number of stored values per field in that chunk. Readings are only ever added (the
 * ingest refuses a reading that would change a stored one, and duplicates rewrite identical
 * values), so a chunk whose counts are unchanged has unchanged cells; a chunk that gained readings
 * (a backlog), or lost some (retention), is computed again. `readLegWindows` asks InfluxDB for the
 * counts per chunk on every request, one cheap query, and aggregates only the chunks that changed.
 */
export interface WindowCellCache {
  /** Cells of a chunk computed under this fingerprint, or undefined. */
  get(key: string, fingerprint: string): readonly CachedCell[] | undefined;
  set(key: string, fingerprint: string, cells: readonly CachedCell[]): void;
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

/** Least recently used chunks go first once `maxChunks` are held (a chunk of 15-minute cells of three sensors is about 1,150 cells). */
export function createWindowCellCache(opts: { maxChunks?: number } = {}): WindowCellCache {
  const maxChunks = opts.maxChunks ?? 1_000;
  const chunks = new Map<string, { fingerprint: string; cells: readonly CachedCell[] }>();
  return {
    get(key, fingerprint) {
      const entry = chunks.get(key);
      if (!entry || entry.fingerprint !== fingerprint) return undefined;
      chunks.delete(key);
      chunks.set(key, entry);
      return entry.cells;
    },
    set(key, fingerprint, cells) {
      if (maxChunks <= 0) return;
      chunks.delete(key);
      while (chunks.size >= maxChunks) {
        const oldest = chunks.keys().next().value;
        if (oldest === undefined) break;
        chunks.delete(oldest);
      }
      chunks.set(key, { fingerprint, cells });
    },
    size: () => chunks.size,
    clear: () => chunks.clear(),
  };
}
