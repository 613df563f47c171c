import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type AlertInput, createSqliteStore, StoreError } from './index.js';

const dirs: string[] = [];
function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'coldchain-store-rules-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const leg = (fromMs: number, toMs: number | null, deviceId = 'truck-1') => ({
  shipmentId: 'SHP-1',
  deviceId,
  holder: 'Carrier',
  fromMs,
  toMs,
  handedOverBy: null,
  handoverTempC: null,
});
const alertInput = (key: string, endMs: number | null): AlertInput => ({
  key,
  rule: 'range',
  severity: 'warning',
  shipmentId: 'SHP-1',
  deviceId: 'truck-1',
  holder: null,
  startMs: 1000,
  endMs,
  limit: 8,
  peakValue: 9,
  peakTsMs: 1500,
  detail: null,
});
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'fulfilled',
    (err: unknown) => (err instanceof StoreError ? err.code : String(err)),
  );

describe('custody legs that never overlap', () => {
  it('refuses an overlapping leg with custody_overlap, and still closes the open leg at a handover', async () => {
    const store = createSqliteStore({ file: ':memory:' });
    await store.createShipment({ id: 'SHP-1', profileId: 'frozen', shipper: 'A', consignee: 'B' });
    await store.addCustodyLeg(leg(0, 1000, 'room-1'));
    await store.addCustodyLeg(leg(2000, null));
    // Starts inside the closed first leg, and before the open one (which a handover would not close).
    expect(await codeOf(store.addCustodyLeg(leg(500, 1500)))).toBe('custody_overlap');
    expect(await codeOf(store.addCustodyLeg(leg(1500, 2500)))).toBe('custody_overlap');
    // Fits the gap, then a handover after the open leg's start closes it there.
    await store.addCustodyLeg(leg(1000, 2000, 'room-2'));
    await store.addCustodyLeg(leg(3000, null, 'truck-2'));
    expect((await store.legsOfShipment('SHP-1')).map((l) => [l.deviceId, l.fromMs, l.toMs])).toEqual([
      ['room-1', 0, 1000],
      ['room-2', 1000, 2000],
      ['truck-1', 2000, 3000],
      ['truck-2', 3000, null],
    ]);
    expect(await codeOf(store.addCustodyLeg({ ...leg(0, 1), shipmentId: 'nope' }))).toBe('not_found');
    await store.close();
  });

  it('is enforced by the database itself: raw SQL that bypasses the store is refused too', async () => {
    const file = join(tempDir(), 'metadata.db');
    const store = createSqliteStore({ file });
    await store.createShipment({ id: 'SHP-1', profileId: 'frozen', shipper: 'A', consignee: 'B' });
    await store.createShipment({ id: 'SHP-2', profileId: 'frozen', shipper: 'A', consignee: 'B' });
    await store.addCustodyLeg(leg(1000, 5000));
    const raw = new Database(file);
    const insert = raw.prepare(
      `INSERT INTO custody_legs (shipment_id, device_id, holder, from_ms, to_ms) VALUES (?, 'x', 'h', ?, ?)`,
    );
    expect(() => insert.run('SHP-1', 4000, null)).toThrow('custody_overlap');
    expect(() => insert.run('SHP-1', 0, 1001)).toThrow('custody_overlap');
    // Touching ends do not overlap, nor does another shipment, nor an empty leg.
    insert.run('SHP-1', 5000, null);
    insert.run('SHP-1', 0, 1000);
    insert.run('SHP-2', 2000, null);
    insert.run('SHP-1', 3000, 3000);
    // An update that would make legs overlap is refused as well.
    expect(() =>
      raw
        .prepare(`UPDATE custody_legs SET to_ms = 6000 WHERE shipment_id = 'SHP-1' AND from_ms = 1000`)
        .run(),
    ).toThrow('custody_overlap');
    raw.close();
    expect((await store.legsOfShipment('SHP-1')).map((l) => [l.fromMs, l.toMs])).toEqual([
      [0, 1000],
      [1000, 5000],
      [3000, 3000],
      [5000, null],
    ]);
    await store.close();
  });
});

describe('alert status changes', () => {
  it('answers alert_conflict to acknowledging or resolving an alert already resolved, and not_found to an unknown id', async () => {
    const store = createSqliteStore({ file: ':memory:' });
    const { alert } = await store.upsertAlert(alertInput('k', null));
    // Another operator resolves it first (the same store stands for another API replica).
    await store.resolveAlert(alert.id, 'operator-wang', 'back in range');
    const ack = store.acknowledgeAlert(alert.id, 'operator-li', 'calling the driver');
    await expect(ack).rejects.toBeInstanceOf(StoreError);
    expect(await codeOf(ack)).toBe('alert_conflict');
    expect(await codeOf(store.resolveAlert(alert.id, 'operator-li', 'again'))).toBe('alert_conflict');
    expect(await store.getAlert(alert.id)).toMatchObject({
      status: 'resolved',
      resolvedBy: 'operator-wang',
      resolutionNote: 'back in range',
      acknowledgedBy: null,
    });
    expect(await codeOf(store.acknowledgeAlert(999, 'x', 'y'))).toBe('not_found');
    await store.close();
  });
});

describe('several processes on one SQLite file', () => {
  it('migrate at once and make one alert per key when they raise the same keys at the same time', async () => {
    const dir = tempDir();
    const file = join(dir, 'metadata.db');
    const worker = join(dir, 'raise-alerts.mts');
    const index = pathToFileURL(fileURLToPath(new URL('./index.ts', import.meta.url))).href;
    // Each process opens the (new) file, waits for the common start, then raises keys k0..k199,
    // each twice (created or unchanged, then updated or unchanged).
    writeFileSync(
      worker,
      `import { createSqliteStore } from ${JSON.stringify(index)};
       const [file, startAt] = [process.argv[2], Number(process.argv[3])];
       while (Date.now() < startAt) {}
       const store = createSqliteStore({ file });
       const created = [];
       for (let i = 0; i < 200; i++) {
         const input = { key: 'k' + i, rule: 'range', severity: 'warning', shipmentId: null, deviceId: 'd',
           holder: null, startMs: i, endMs: null, limit: 8, peakValue: 9, peakTsMs: i, detail: null };
         if ((await store.upsertAlert(input)).change === 'created') created.push(i);
         await store.upsertAlert({ ...input, endMs: i + 1 });
       }
       await store.close();
       console.log(JSON.stringify(created));`,
    );
    const startAt = Date.now() + 1500;
    const run = () =>
      new Promise<number[]>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', worker, file, String(startAt)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => {
          out += d;
        });
        child.stderr.on('data', (d) => {
          err += d;
        });
        child.on('exit', (code) =>
          code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`exit ${code}: ${err}`)),
        );
      });
    const [a, b] = await Promise.all([run(), run()]);
    // Every key was created by exactly one of them.
    expect([...a, ...b].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const store = createSqliteStore({ file });
    const alerts = await store.listAlerts({ limit: 1000 });
    expect(alerts).toHaveLength(200);
    expect(alerts.every((x) => x.endMs === x.startMs + 1)).toBe(true);
    await store.close();
  }, 60_000);
});
