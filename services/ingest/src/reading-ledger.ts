import { PendingRows } from './pending-rows.js';

/**
 * The reading ledger keeps the history append-only (DESIGN.md §3). For each reading of a message it
 * decides, in arrival order per device:
 * - `new`: no reading was accepted for this device and timestamp; it is now.
 * - `duplicate`: the same field set was accepted before (a redelivery): accepted again, and
 *   rewriting the identical point is harmless.
 * - `conflict`: another field set was accepted before; the stored one wins and the new one is
 *   reported with both values, never written.
 *
 * Cost: a reading newer than the newest one accepted for its device (live, in-order data) cannot
 * conflict and is decided without a lookup: a map lookup per message, a compare per reading, and
 * its row appended to a byte buffer (`PendingRows`), which a commit stores as it is. An older one
 * is looked up in the rows not yet committed (memory), then in the durable index (`LedgerIndex`,
 * SQLite), and only for times the index does not cover (pruned past its retention, or written
 * before the index existed) in InfluxDB (`StoredHistory`), which makes that decision asynchronous.
 *
 * Exactness rests on one invariant the caller keeps: every reading in InfluxDB is in the index,
 * or in the ledger's uncommitted rows, or in a journal segment that `recover` is given on start.
 * The caller commits (`persist`) before the InfluxDB writer removes a journal segment
 * (`ledgerFirstJournal`).
 */

export interface LedgerEntry {
  readonly tsMs: number;
  /** The canonical field set (`readingFields` in @coldchain/influx). */
  readonly fields: string;
}

export interface LedgerRow extends LedgerEntry {
  readonly deviceId: string;
}

export type Verdict = { kind: 'new' } | { kind: 'duplicate' } | { kind: 'conflict'; storedFields: string };

/** What the ledger keeps per device for as long as it exists (not pruned). */
export interface DeviceMark {
  /** Newest event time accepted for the device; `-Infinity` if none. */
  hwmMs: number;
  /**
   * Newest event time InfluxDB held for the device when the ledger first met it, if the data folder
   * had history from before the ledger; `-Infinity` when there is none, `null` while not yet asked.
   */
  legacyUntilMs: number | null;
}

/** The durable side of the ledger. Synchronous, as better-sqlite3 is. */
export interface LedgerIndex {
  /** Until this wall-clock time, InfluxDB may hold readings the index never saw; `null`: it saw all history. */
  readonly legacyEndsAtMs: number | null;
  /** Rows older than this event time have been pruned. */
  prunedBeforeMs(): number;
  mark(deviceId: string): DeviceMark | undefined;
  find(deviceId: string, tsMs: number): string | undefined;
  /**
   * Stores accepted readings (per device) and marks in one transaction. Never given a timestamp
   * already stored for the device.
   */
  commit(rows: ReadonlyMap<string, PendingRows>, marks: ReadonlyMap<string, DeviceMark>): void;
  /** Deletes rows older than `beforeMs`. */
  prune(beforeMs: number): void;
}

/** What InfluxDB holds, for the times the index does not cover. */
export interface StoredHistory {
  /** The newest stored event time of the device since `sinceMs`, or null. */
  newestMs(deviceId: string, sinceMs: number): Promise<number | null>;
  /** Canonical field sets of the device's stored points from `fromMs` to `toMs`, both inclusive. */
  fieldSets(deviceId: string, fromMs: number, toMs: number): Promise<ReadonlyMap<number, string>>;
}

export interface LedgerOptions {
  index: LedgerIndex;
  /** Without it, times the index does not cover count as never accepted. */
  history?: StoredHistory;
  /** Rows are pruned once their event time is older than this. */
  retentionMs: number;
  /** How far back a legacy device's history is asked about (the oldest a reading may be). */
  maxPastAgeMs: number;
  now: () => number;
  /** Uncommitted rows past which `decide` commits by itself (memory bound while InfluxDB is down). */
  maxPendingRows?: number;
  /** How often, at most, old rows are pruned. */
  pruneEveryMs?: number;
}

export interface ReadingLedger {
  /**
   * Decides the readings of one message from one device, in order, and records the accepted ones.
   * Synchronous unless InfluxDB must be asked; a device's later messages wait for that answer.
   */
  decide(deviceId: string, entries: readonly LedgerEntry[]): Verdict[] | Promise<Verdict[]>;
  /** Takes readings the journal holds from an earlier run (accepted then), as on start. */
  recover(rows: Iterable<LedgerRow>): void;
  /** Commits the uncommitted rows to the index (and prunes, now and then). */
  persist(): void;
  stats(): { pendingRows: number; devices: number };
}

const NEW: Verdict = { kind: 'new' };
const DUPLICATE: Verdict = { kind: 'duplicate' };

export function createReadingLedger(opts: LedgerOptions): ReadingLedger {
  const { index, history, now } = opts;
  const maxPendingRows = opts.maxPendingRows ?? 50_000;
  const pruneEveryMs = opts.pruneEveryMs ?? 60_000;
  /** Every device met in this process, with its mark (dirty ones are committed with the rows). */
  const marks = new Map<string, DeviceMark>();
  const dirty = new Map<string, DeviceMark>();
  /**
   * Accepted and not yet committed, per device in acceptance order; a lookup (rare: readings older
   * than the device's newest) scans its text.
   */
  let pending = new Map<string, PendingRows>();
  let pendingRows = 0;
  let lastPruneMs = Number.NEGATIVE_INFINITY;
  /** Devices waiting for InfluxDB: their next messages are decided after it answers. */
  const busy = new Map<string, Promise<unknown>>();

  const legacyActive = () =>
    history !== undefined && index.legacyEndsAtMs !== null && now() < index.legacyEndsAtMs;

  const markOf = (deviceId: string): DeviceMark | undefined => {
    let mark = marks.get(deviceId);
    if (!mark) {
      mark = index.mark(deviceId);
      if (mark) marks.set(deviceId, mark);
    }
    return mark;
  };

  const rowsOf = (deviceId: string): PendingRows => {
    let rows = pending.get(deviceId);
    if (!rows) {
      rows = new PendingRows();
      pending.set(deviceId, rows);
    }
    return rows;
  };

  /**
   * Records an accepted reading; callers have made sure nothing is stored for that time yet, and
   * put the device's mark among the dirty ones.
   */
  const record = (rows: PendingRows, mark: DeviceMark, tsMs: number, fields: string) => {
    rows.push(tsMs, fields);
    pendingRows++;
    if (tsMs > mark.hwmMs) mark.hwmMs = tsMs;
  };

  const storedFields = (deviceId: string, tsMs: number) =>
    pending.get(deviceId)?.find(tsMs) ?? index.find(deviceId, tsMs);

  /** Whether a reading at `tsMs` that neither memory nor the index knows may still be in InfluxDB. */
  const uncovered = (mark: DeviceMark, tsMs: number) =>
    tsMs < index.prunedBeforeMs() || (mark.legacyUntilMs !== null && tsMs <= mark.legacyUntilMs);

  const decideNow = (
    deviceId: string,
    mark: DeviceMark,
    entries: readonly LedgerEntry[],
    fetched?: ReadonlyMap<number, string>,
  ): Verdict[] => {
    const verdicts: Verdict[] = new Array(entries.length);
    const rows = rowsOf(deviceId);
    const before = pendingRows;
    for (let i = 0; i < entries.length; i++) {
      const { tsMs, fields } = entries[i] as LedgerEntry;
      // The hot path: newer than anything this device ever had stored.
      if (tsMs > mark.hwmMs && (mark.legacyUntilMs === null || tsMs > mark.legacyUntilMs)) {
        record(rows, mark, tsMs, fields);
        verdicts[i] = NEW;
        continue;
      }
      let stored = storedFields(deviceId, tsMs);
      if (stored === undefined && fetched) {
        stored = fetched.get(tsMs);
        // What InfluxDB holds becomes a ledger row, so that it is not asked again.
        if (stored !== undefined) record(rows, mark, tsMs, stored);
      }
      if (stored === undefined) {
        record(rows, mark, tsMs, fields);
        verdicts[i] = NEW;
      } else verdicts[i] = stored === fields ? DUPLICATE : { kind: 'conflict', storedFields: stored };
    }
    if (pendingRows > before) dirty.set(deviceId, mark);
    if (pendingRows >= maxPendingRows) persist();
    return verdicts;
  };

  const decideFor = (deviceId: string, entries: readonly LedgerEntry[]): Verdict[] | Promise<Verdict[]> => {
    const mark = markOf(deviceId);
    if (!mark || mark.legacyUntilMs === null) {
      if (legacyActive() && history) {
        // Met for the first time over a data folder with older history: how far does it go?
        return history.newestMs(deviceId, now() - opts.maxPastAgeMs).then((newest) => {
          const m = markOf(deviceId) ?? { hwmMs: Number.NEGATIVE_INFINITY, legacyUntilMs: null };
          m.legacyUntilMs = newest ?? Number.NEGATIVE_INFINITY;
          marks.set(deviceId, m);
          dirty.set(deviceId, m);
          return decideFor(deviceId, entries);
        });
      }
      if (!mark) {
        const fresh: DeviceMark = { hwmMs: Number.NEGATIVE_INFINITY, legacyUntilMs: null };
        marks.set(deviceId, fresh);
        return decideFor(deviceId, entries);
      }
    }
    const m = mark as DeviceMark;
    let fromMs = Number.POSITIVE_INFINITY;
    let toMs = Number.NEGATIVE_INFINITY;
    if (history) {
      for (const { tsMs } of entries) {
        if (tsMs > m.hwmMs && (m.legacyUntilMs === null || tsMs > m.legacyUntilMs)) continue;
        if (!uncovered(m, tsMs) || storedFields(deviceId, tsMs) !== undefined) continue;
        if (tsMs < fromMs) fromMs = tsMs;
        if (tsMs > toMs) toMs = tsMs;
      }
    }
    if (!history || fromMs > toMs) return decideNow(deviceId, m, entries);
    return history
      .fieldSets(deviceId, fromMs, toMs)
      .then((fetched) => decideNow(deviceId, m, entries, fetched));
  };

  function persist() {
    if (pendingRows > 0 || dirty.size > 0) {
      index.commit(pending, dirty);
      pending = new Map();
      pendingRows = 0;
      dirty.clear();
    }
    const t = now();
    if (t - lastPruneMs >= pruneEveryMs) {
      lastPruneMs = t;
      index.prune(t - opts.retentionMs);
    }
  }

  return {
    decide(deviceId, entries) {
      const before = busy.get(deviceId);
      const result = before
        ? before.then(
            () => decideFor(deviceId, entries),
            () => decideFor(deviceId, entries),
          )
        : decideFor(deviceId, entries);
      if (!(result instanceof Promise)) return result;
      busy.set(deviceId, result);
      const clear = () => {
        if (busy.get(deviceId) === result) busy.delete(deviceId);
      };
      result.then(clear, clear);
      return result;
    },
    recover(rows) {
      for (const { deviceId, tsMs, fields } of rows) {
        if (storedFields(deviceId, tsMs) !== undefined) continue;
        let mark = markOf(deviceId);
        if (!mark) {
          mark = { hwmMs: Number.NEGATIVE_INFINITY, legacyUntilMs: null };
          marks.set(deviceId, mark);
        }
        record(rowsOf(deviceId), mark, tsMs, fields);
        dirty.set(deviceId, mark);
      }
      persist();
    },
    persist,
    stats: () => ({ pendingRows, devices: marks.size }),
  };
}
