import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Journal, openJournal } from '@coldchain/influx';
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerFirstJournal } from './ledger-first-journal.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function journalWithSegments(n: number): Promise<Journal> {
  const dir = mkdtempSync(join(tmpdir(), 'coldchain-ledger-journal-'));
  dirs.push(dir);
  const journal = await openJournal({ dir, sync: 'os' });
  for (let i = 0; i < n; i++) {
    await journal.append([`telemetry,device=truck-1 temp_air=${i} ${1_780_000_000_000 + i}`]);
    await journal.seal();
  }
  return journal;
}

describe('the journal the InfluxDB writer sees', () => {
  it('removes a written segment only after the ledger commits, at most once per interval', async () => {
    const journal = await journalWithSegments(3);
    let t = 0;
    const events: string[] = [];
    const ledger = { persist: () => events.push(`persist with ${journal.stats().segments} segments`) };
    const writerJournal = ledgerFirstJournal(journal, ledger, { commitEveryMs: 1000, now: () => t });
    const [first, second, third] = writerJournal.sealed();

    t = 200;
    await writerJournal.remove(first as string);
    // Still on disk (a crash now writes it again), but not offered to the writer again.
    expect(journal.stats().segments).toBe(3);
    expect(writerJournal.sealed()).toEqual([second, third]);
    expect(events).toEqual([]);

    t = 1000;
    await writerJournal.remove(second as string);
    expect(events).toEqual(['persist with 3 segments']);
    expect(journal.stats().segments).toBe(1);
    expect(writerJournal.sealed()).toEqual([third]);

    t = 1100;
    await writerJournal.remove(third as string);
    expect(journal.stats().segments).toBe(1);
    await writerJournal.close();
    expect(events).toEqual(['persist with 3 segments', 'persist with 1 segments']);
    expect(journal.stats().segments).toBe(0);
  });

  it('never offers the writer a segment again while its removal is under way', async () => {
    const journal = await journalWithSegments(2);
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slowJournal: Journal = { ...journal, remove: async (s) => gate.then(() => journal.remove(s)) };
    const writerJournal = ledgerFirstJournal(slowJournal, { persist() {} }, { commitEveryMs: 0 });
    const [first, second] = writerJournal.sealed();
    const removing = writerJournal.remove(first as string);
    await new Promise((r) => setImmediate(r));
    expect(writerJournal.sealed()).toEqual([second]);
    release();
    await removing;
    expect(writerJournal.sealed()).toEqual([second]);
    expect(journal.stats().segments).toBe(1);
    await writerJournal.close();
  });

  it('commits before a segment goes to quarantine', async () => {
    const journal = await journalWithSegments(1);
    const events: string[] = [];
    const writerJournal = ledgerFirstJournal(
      journal,
      { persist: () => events.push('persist') },
      { commitEveryMs: 1000 },
    );
    await writerJournal.quarantine(writerJournal.sealed()[0] as string, 'malformed');
    expect(events).toEqual(['persist']);
    expect(writerJournal.sealed()).toEqual([]);
    await writerJournal.close();
  });
});
