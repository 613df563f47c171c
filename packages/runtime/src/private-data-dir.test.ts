import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDataDirPrivate } from './private-data-dir.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});
const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('makeDataDirPrivate', () => {
  it('creates a missing data folder with mode 0700', () => {
    const root = mkdtempSync(join(tmpdir(), 'coldchain-private-'));
    roots.push(root);
    makeDataDirPrivate(join(root, 'a', 'data'), pino({ level: 'silent' }));
    expect(modeOf(join(root, 'a', 'data'))).toBe(0o700);
  });

  it('takes group and other bits off what an earlier run left readable, and says so', () => {
    const root = mkdtempSync(join(tmpdir(), 'coldchain-private-'));
    roots.push(root);
    const data = join(root, 'data');
    mkdirSync(join(data, 'ingest-journal'), { recursive: true, mode: 0o755 });
    writeFileSync(join(data, 'metadata.db'), 'x', { mode: 0o644 });
    writeFileSync(join(data, 'ingest-journal', '000001.open'), 'x', { mode: 0o664 });
    writeFileSync(join(data, 'private'), 'x', { mode: 0o600 });
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    makeDataDirPrivate(data, log);
    expect(modeOf(data)).toBe(0o700);
    expect(modeOf(join(data, 'ingest-journal'))).toBe(0o700);
    expect(modeOf(join(data, 'metadata.db'))).toBe(0o600);
    expect(modeOf(join(data, 'ingest-journal', '000001.open'))).toBe(0o600);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ tightened: 4 }); // data, ingest-journal and the two files;
    // Nothing left to do the second time: no warning.
    makeDataDirPrivate(data, log);
    expect(lines).toHaveLength(1);
  });
});
