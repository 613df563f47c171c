import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { retryDelayMs } from './durable-writer.js';
import { openJournal } from './journal.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'coldchain-journal-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the journal', () => {
  it('hands sealed segments to the writer in order, with every appended line', async () => {
    const journal = await openJournal({ dir: tempDir() });
    await Promise.all([journal.append(['a 1', 'a 2']), journal.append(['b 1'])]);
    await journal.seal();
    await journal.append(['c 1']);
    await journal.seal();
    const [first, second] = journal.sealed();
    expect(await journal.read(first as string)).toEqual(['a 1', 'a 2', 'b 1']);
    expect(await journal.read(second as string)).toEqual(['c 1']);
    await journal.close();
  });

  it('keeps unconfirmed segments across a restart and seals the one left open', async () => {
    const dir = tempDir();
    const journal = await openJournal({ dir });
    await journal.append(['x 1']);
    await journal.seal();
    await journal.append(['y 1']);
    // A crash: nothing closed, nothing sealed.
    const reopened = await openJournal({ dir });
    const lines = await Promise.all(reopened.sealed().map((s) => reopened.read(s)));
    expect(lines.flat()).toEqual(['x 1', 'y 1']);
    await reopened.append(['z 1']);
    await reopened.seal();
    expect(reopened.sealed()).toHaveLength(3);
    await reopened.close();
  });

  it('ignores a torn last line, which was never flushed nor acknowledged', async () => {
    const dir = tempDir();
    const journal = await openJournal({ dir });
    await journal.append(['whole 1']);
    const open = readdirSync(dir).find((f) => f.endsWith('.open')) as string;
    appendFileSync(join(dir, open), 'torn li');
    const reopened = await openJournal({ dir });
    expect(await reopened.read(reopened.sealed()[0] as string)).toEqual(['whole 1']);
  });

  it('removes confirmed segments, quarantines refused ones, and accounts for the bytes', async () => {
    const dir = tempDir();
    const journal = await openJournal({ dir });
    await journal.append(['a 1']);
    await journal.seal();
    await journal.append(['b 1']);
    await journal.seal();
    expect(journal.stats().bytes).toBe(8);
    const [a, b] = journal.sealed() as [string, string];
    await journal.remove(a);
    await journal.quarantine(b, 'field type conflict');
    expect(journal.stats()).toMatchObject({ bytes: 0, segments: 0 });
    expect(readdirSync(join(dir, 'quarantine')).sort()).toEqual([
      `${b.slice(dir.length + 1)}`,
      `${b.slice(dir.length + 1)}.reason.txt`,
    ]);
  });

  it('holds appenders back while over its size limit, and warns past the threshold', async () => {
    const warnings: number[] = [];
    const journal = await openJournal({
      dir: tempDir(),
      maxBytes: 20,
      warnFraction: 0.5,
      onWarning: (s) => warnings.push(s.bytes),
    });
    await journal.append(['0123456789', '0123456789']);
    await journal.seal();
    expect(warnings).toEqual([22]);
    let released = false;
    const waiting = journal.waitForRoom().then(() => {
      released = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(released).toBe(false);
    await journal.remove(journal.sealed()[0] as string);
    await waiting;
    expect(released).toBe(true);
  });
});

describe('the retry delay', () => {
  const policy = { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 };
  it.each([
    [1, 0, 100],
    [2, 0, 200],
    [4, 0, 800],
    [10, 0, 1000],
    [2, 1, 100],
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(retryDelayMs(attempt, policy, () => random)).toBe(expected);
  });
  it('waits at least what the server asked for', () => {
    expect(retryDelayMs(1, policy, () => 0, 5000)).toBe(5000);
  });
});
