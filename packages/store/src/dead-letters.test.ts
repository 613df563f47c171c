import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type NewDeadLetter } from './index.js';

const DAY = 86_400_000;
const dirs: string[] = [];
function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'coldchain-dead-letters-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const letter = (deviceId: string | null, reason: string, arrivedAtMs: number, size = 100): NewDeadLetter => ({
  deviceId,
  topic: `coldchain/v1/devices/${deviceId ?? 'x'}/telemetry`,
  arrivedAtMs,
  reason,
  problems: [`${reason} at ${arrivedAtMs}`],
  payload: Buffer.alloc(size, 'z'),
  payloadBytes: size,
});
const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('dead letters in the SQLite store', () => {
  it('counts every dead letter by reason and device while keeping samples only up to the per-device and total caps', async () => {
    const store = createSqliteStore({
      file: join(tempDir(), 'metadata.db'),
      now: () => 1_000,
      deadLetters: { limits: { perDevice: 5, total: 8 } },
    });
    const outcomes: boolean[] = [];
    for (const device of ['a', 'b', 'c'])
      for (let i = 0; i < 20; i++)
        outcomes.push(
          (await store.addDeadLetter(letter(device, i % 2 ? 'malformed_json' : 'invalid_field', i))).stored,
        );
    outcomes.push((await store.addDeadLetter(letter(null, 'unexpected_topic', 99))).stored);

    expect(await store.countDeadLettersByReason()).toEqual({
      malformed_json: 30,
      invalid_field: 30,
      unexpected_topic: 1,
    });
    expect(await store.countDeadLettersOfDevice('b')).toEqual({ malformed_json: 10, invalid_field: 10 });
    expect(await store.countDeadLettersOfDevice(null)).toEqual({ unexpected_topic: 1 });
    expect(outcomes.filter(Boolean)).toHaveLength(8);
    const stats = await store.deadLetterStats();
    expect(stats.stored).toBe(8);
    expect(stats.dropped).toBe(61 - 8);
    // a reached its own cap, b the total one; c and the device-less letter found it full.
    expect(await store.listDeadLetters({ deviceId: 'a', limit: 100 })).toHaveLength(5);
    expect(await store.listDeadLetters({ deviceId: 'b', limit: 100 })).toHaveLength(3);
    expect(await store.listDeadLetters({ deviceId: 'c', limit: 100 })).toHaveLength(0);
    // The first samples of a flood are the ones kept.
    expect((await store.listDeadLetters({ deviceId: 'a' })).map((l) => l.arrivedAtMs)).toEqual([
      4, 3, 2, 1, 0,
    ]);
    await store.close();
  });

  it('deletes samples past their retention, keeps their counts, and then has room for new samples', async () => {
    let clock = 10 * DAY;
    const file = join(tempDir(), 'metadata.db');
    const store = createSqliteStore({
      file,
      now: () => clock,
      deadLetters: { limits: { perDevice: 3, total: 100, retentionMs: 2 * DAY } },
    });
    for (let i = 0; i < 5; i++) await store.addDeadLetter(letter('a', 'malformed_json', clock));
    expect(await store.deadLetterStats()).toMatchObject({ stored: 3, dropped: 2 });
    clock += DAY;
    expect((await store.addDeadLetter(letter('a', 'malformed_json', clock))).stored).toBe(false);

    clock += 1.5 * DAY; // the first three are now older than two days; a minute passed since the last prune
    expect((await store.addDeadLetter(letter('a', 'invalid_field', clock))).stored).toBe(true);
    const kept = await store.listDeadLetters({ deviceId: 'a' });
    expect(kept.map((l) => l.reason)).toEqual(['invalid_field']);
    expect(await store.countDeadLettersByReason()).toEqual({ malformed_json: 6, invalid_field: 1 });
    await store.close();

    // A store opened later prunes at once, without waiting for a dead letter.
    clock += 3 * DAY;
    const again = createSqliteStore({
      file,
      now: () => clock,
      deadLetters: { limits: { retentionMs: 2 * DAY } },
    });
    expect(await again.deadLetterStats()).toEqual({
      byReason: { malformed_json: 6, invalid_field: 1 },
      stored: 0,
      dropped: 3,
    });
    await again.close();
  });

  it('trims samples to caps lowered since they were stored, oldest first', async () => {
    const file = join(tempDir(), 'metadata.db');
    const now = () => 1_000;
    const store = createSqliteStore({ file, now, deadLetters: { limits: { perDevice: 50, total: 1000 } } });
    for (let i = 0; i < 40; i++) await store.addDeadLetter(letter(i % 2 ? 'a' : 'b', 'malformed_json', i));
    await store.close();
    const again = createSqliteStore({ file, now, deadLetters: { limits: { perDevice: 10, total: 15 } } });
    expect((await again.deadLetterStats()).stored).toBe(15);
    expect(Math.min(...(await again.listDeadLetters({ limit: 100 })).map((l) => l.arrivedAtMs))).toBe(25);
    expect((await again.listDeadLetters({ deviceId: 'a', limit: 100 })).length).toBeLessThanOrEqual(10);
    expect(await again.countDeadLettersByReason()).toEqual({ malformed_json: 40 });
    await again.close();
  });

  it('takes a flood of 20,000 into a file of its own that stays small, leaving the metadata database alone', async () => {
    const dir = tempDir();
    const file = join(dir, 'metadata.db');
    const store = createSqliteStore({
      file,
      now: () => 100_000,
      deadLetters: { limits: { perDevice: 100, total: 10_000 } },
    });
    await store.deadLetterStats();
    const metadataBefore = statSync(file).size + statSync(`${file}-wal`).size;
    const startedAt = performance.now();
    for (let i = 0; i < 20_000; i++) await store.addDeadLetter(letter('hostile', 'malformed_json', i, 4096));
    const elapsedMs = performance.now() - startedAt;
    expect(await store.countDeadLettersByReason()).toEqual({ malformed_json: 20_000 });
    expect(await store.deadLetterStats()).toMatchObject({ stored: 100, dropped: 19_900 });
    await store.close();
    const deadLetterBytes = statSync(join(dir, 'dead-letters.db')).size;
    expect(deadLetterBytes).toBeLessThan(2 * 1024 * 1024);
    expect(statSync(file).size).toBeLessThanOrEqual(metadataBefore);
    // Under a flood a dead letter is a few counter updates, not a sample write.
    expect(elapsedMs).toBeLessThan(10_000);
    console.log(
      `20,000 dead letters in ${elapsedMs.toFixed(0)} ms, dead-letters.db ${deadLetterBytes} bytes`,
    );
  });

  it('creates its folder and database files private to their owner, and tightens looser ones', async () => {
    const root = tempDir();
    const dir = join(root, 'data');
    const store = createSqliteStore({ file: join(dir, 'metadata.db') });
    await store.addDeadLetter(letter('a', 'malformed_json', 1));
    expect(modeOf(dir)).toBe(0o700);
    for (const name of [
      'metadata.db',
      'metadata.db-wal',
      'metadata.db-shm',
      'dead-letters.db',
      'dead-letters.db-wal',
    ])
      expect([name, modeOf(join(dir, name))]).toEqual([name, 0o600]);
    await store.close();

    // A database an earlier release created world-readable.
    const old = join(root, 'old');
    mkdirSync(old);
    writeFileSync(join(old, 'metadata.db'), '', { mode: 0o644 });
    const reopened = createSqliteStore({ file: join(old, 'metadata.db') });
    expect(modeOf(join(old, 'metadata.db'))).toBe(0o600);
    expect(modeOf(join(old, 'metadata.db-wal'))).toBe(0o600);
    await reopened.close();
  });

  it('moves the dead letters an earlier release kept in the metadata database, once', async () => {
    const dir = tempDir();
    const file = join(dir, 'metadata.db');
    await createSqliteStore({ file }).close(); // the schema as it was: dead_letters in metadata.db
    const db = new Database(file);
    const insert = db.prepare(
      `INSERT INTO dead_letters (device_id, topic, arrived_at_ms, reason, problems, payload, payload_bytes)
       VALUES (?, 't', ?, ?, '["p"]', 'x', 1)`,
    );
    for (let i = 0; i < 30; i++)
      insert.run(i < 25 ? 'a' : null, Date.now() - i, i % 3 ? 'malformed_json' : 'invalid_field');
    db.close();

    const store = createSqliteStore({ file, deadLetters: { limits: { perDevice: 10 } } });
    expect(await store.countDeadLettersByReason()).toEqual({ malformed_json: 20, invalid_field: 10 });
    expect(await store.countDeadLettersOfDevice(null)).toEqual({ malformed_json: 4, invalid_field: 1 });
    expect((await store.deadLetterStats()).stored).toBe(15);
    await store.close();
    const check = new Database(file, { readonly: true });
    expect(check.prepare("SELECT name FROM sqlite_master WHERE name = 'dead_letters'").get()).toBeUndefined();
    check.close();
    const again = createSqliteStore({ file });
    expect(await again.countDeadLettersByReason()).toEqual({ malformed_json: 20, invalid_field: 10 });
    await again.close();
    expect(existsSync(join(dir, 'dead-letters.db'))).toBe(true);
  });
});
