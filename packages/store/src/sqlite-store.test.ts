import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, DEAD_LETTER_PAYLOAD_BYTES } from './index.js';

const dirs: string[] = [];
function tempFile() {
  const dir = mkdtempSync(join(tmpdir(), 'coldchain-store-'));
  dirs.push(dir);
  return join(dir, 'meta.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the SQLite metadata store', () => {
  it('provisions a device whose secret verifies and is never stored in clear', async () => {
    const file = tempFile();
    const store = createSqliteStore({ file, now: () => 1_000 });
    const { device, secret } = await store.provisionDevice({ id: 'truck-7', kind: 'vehicle' });
    expect(device).toEqual({
      id: 'truck-7',
      name: 'truck-7',
      kind: 'vehicle',
      createdAtMs: 1_000,
      disabled: false,
    });
    expect(await store.verifyCredentials('truck-7', secret)).toEqual({ kind: 'device', deviceId: 'truck-7' });
    expect(await store.verifyCredentials('truck-7', `${secret}x`)).toBeNull();
    expect(await store.verifyCredentials('truck-8', secret)).toBeNull();
    await store.close();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(file).includes(Buffer.from(secret))).toBe(false);
  });

  it('answers an unknown device id no faster than a wrong secret for a known one', async () => {
    const store = createSqliteStore({ file: ':memory:' });
    const { secret } = await store.provisionDevice({ id: 'truck-7' });
    const median = async (username: string) => {
      const times: number[] = [];
      for (let i = 0; i < 31; i++) {
        const t0 = performance.now();
        expect(await store.verifyCredentials(username, `${secret}x`)).toBeNull();
        times.push(performance.now() - t0);
      }
      return times.sort((a, b) => a - b)[15] as number;
    };
    await median('warm-up');
    const [unknown, known] = [await median('truck-8'), await median('truck-7')];
    // A lookup that misses costs microseconds and scrypt about a millisecond: without the same
    // scrypt run an unknown id answers in a fraction of the time.
    expect(unknown).toBeGreaterThan(known * 0.7);
    await store.close();
  });

  it('refuses a second device with the same id', async () => {
    const store = createSqliteStore({ file: ':memory:' });
    await store.provisionDevice({ id: 'cab-1' });
    await expect(store.provisionDevice({ id: 'cab-1' })).rejects.toThrow(/already exists/);
    await store.close();
  });

  it('invalidates the old secret when a device secret is rotated', async () => {
    const store = createSqliteStore({ file: ':memory:' });
    const { secret } = await store.provisionDevice({ id: 'logger-1' });
    const next = await store.rotateDeviceSecret('logger-1');
    expect(await store.verifyCredentials('logger-1', secret)).toBeNull();
    expect(await store.verifyCredentials('logger-1', next)).toEqual({ kind: 'device', deviceId: 'logger-1' });
    await store.close();
  });

  it('refuses a disabled device, even one it verified before, and reports when devices changed', async () => {
    let clock = 1_000;
    const store = createSqliteStore({ file: tempFile(), now: () => clock });
    const { secret } = await store.provisionDevice({ id: 'logger-3' });
    await store.provisionDevice({ id: 'logger-4' });
    expect(await store.verifyCredentials('logger-3', secret)).not.toBeNull();
    expect(await store.devicesChangedSince(1)).toEqual([]);
    clock = 2_000;
    expect((await store.setDeviceDisabled('logger-3', true)).disabled).toBe(true);
    expect(await store.verifyCredentials('logger-3', secret)).toBeNull();
    clock = 3_000;
    await store.rotateDeviceSecret('logger-4');
    expect(await store.devicesChangedSince(2_000)).toEqual([
      { id: 'logger-3', disabled: true, changedAtMs: 2_000 },
      { id: 'logger-4', disabled: false, changedAtMs: 3_000 },
    ]);
    expect((await store.devicesChangedSince(2_001)).map((c) => c.id)).toEqual(['logger-4']);
    await store.setDeviceDisabled('logger-3', false);
    expect(await store.verifyCredentials('logger-3', secret)).toEqual({
      kind: 'device',
      deviceId: 'logger-3',
    });
    await expect(store.setDeviceDisabled('nobody', true)).rejects.toThrow(/does not exist/);
    await store.close();
  });

  it('tells service accounts apart from devices', async () => {
    const store = createSqliteStore({ file: ':memory:' });
    const secret = await store.provisionServiceAccount('ingest', 'ingest');
    expect(await store.verifyCredentials('ingest', secret)).toEqual({
      kind: 'service',
      id: 'ingest',
      role: 'ingest',
    });
    await store.close();
  });

  it('keeps devices and dead letters across a reopen, payloads truncated and counted by reason', async () => {
    const file = tempFile();
    const store = createSqliteStore({ file });
    await store.provisionDevice({ id: 'room-1', kind: 'cold-room' });
    const big = Buffer.alloc(DEAD_LETTER_PAYLOAD_BYTES * 2, 'a');
    await store.addDeadLetter({
      deviceId: 'room-1',
      topic: 'coldchain/v1/devices/room-1/telemetry',
      arrivedAtMs: Date.now(), // within the retention, which the reopen applies
      reason: 'malformed_json',
      problems: ['payload: expected JSON'],
      payload: big,
      payloadBytes: big.length,
    });
    await store.close();
    await store.close();
    const again = createSqliteStore({ file });
    expect((await again.getDevice('room-1'))?.kind).toBe('cold-room');
    const [letter] = await again.listDeadLetters({ deviceId: 'room-1' });
    expect(letter?.payload.length).toBe(DEAD_LETTER_PAYLOAD_BYTES);
    expect(letter?.payloadBytes).toBe(big.length);
    expect(await again.countDeadLettersByReason()).toEqual({ malformed_json: 1 });
    await again.close();
  });
});
