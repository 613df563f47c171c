import type { Journal } from '@coldchain/influx';

export interface LedgerFirstJournal extends Journal {
  /** Commits the ledger and removes the segments written meanwhile, now. Call before `close`. */
  settle(): Promise<void>;
}

/**
 * The journal as the InfluxDB writer sees it: a segment leaves it only after the reading ledger
 * has committed (`persist`), so that whatever InfluxDB holds the ledger's index knows or the
 * journal still holds (see reading-ledger.ts).
 *
 * A commit costs an SQLite transaction with a row per device, whatever the number of readings, so
 * committing for every segment (one per flush interval, 200 ms by default) costs several times
 * more per reading than committing once a second. A written segment therefore waits, still on
 * disk and out of `sealed()`, until `commitEveryMs` have passed since the last commit; a crash
 * meanwhile only means it is written to InfluxDB again on start (identical points) and its
 * readings are taken into the ledger again.
 */
export function ledgerFirstJournal(
  journal: Journal,
  ledger: { persist(): void },
  opts: { commitEveryMs: number; now?: () => number },
): LedgerFirstJournal {
  const now = opts.now ?? Date.now;
  /** Written to InfluxDB, waiting for the next commit. */
  const written: string[] = [];
  let lastCommitMs = now();
  let settling: Promise<void> = Promise.resolve();

  const commitAndRemove = async () => {
    ledger.persist();
    lastCommitMs = now();
    // Out of `written` only once it is gone, or the writer would take it again meanwhile; one whose
    // removal fails stays there and goes at the next commit.
    for (const segment of [...written]) {
      await journal.remove(segment);
      written.splice(written.indexOf(segment), 1);
    }
  };
  /** One at a time; a failed one does not hold up the next. */
  const settle = () => {
    const next = settling.then(commitAndRemove, commitAndRemove);
    settling = next;
    return next;
  };
  // When writing stops (no traffic), the last segments still leave within about `commitEveryMs`.
  const timer = setInterval(() => {
    if (written.length > 0 && now() - lastCommitMs >= opts.commitEveryMs) void settle().catch(() => {});
  }, opts.commitEveryMs);
  timer.unref();

  return {
    ...journal,
    sealed: () => journal.sealed().filter((s) => !written.includes(s)),
    async remove(segment) {
      written.push(segment);
      if (now() - lastCommitMs >= opts.commitEveryMs) await settle();
    },
    async quarantine(segment, reason) {
      ledger.persist();
      await journal.quarantine(segment, reason);
    },
    settle,
    async close() {
      clearInterval(timer);
      await settle();
      await journal.close();
    },
  };
}
