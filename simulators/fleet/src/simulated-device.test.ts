import { MAX_BATCH_READINGS, parseTelemetry } from '@coldchain/schema';
import { describe, expect, it } from 'vitest';
import { climateForBand } from './climate.js';
import { createRng } from './random.js';
import { createSimulatedDevice, type SimulatedDeviceConfig } from './simulated-device.js';
import type { TelemetryPayload } from './telemetry-payload.js';

const START_MS = Date.parse('2026-06-01T00:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const connected = { connected: true };

function config(overrides: Partial<SimulatedDeviceConfig> = {}): SimulatedDeviceConfig {
  return {
    id: 'cab-test-01',
    kind: 'cabinet',
    climate: climateForBand({ lowC: 0, highC: 2, rhLowPct: 90, rhHighPct: 95 }),
    startMs: START_MS,
    ...overrides,
  };
}

function readingsOf(payload: TelemetryPayload, nowMs: number) {
  const result = parseTelemetry(payload.payload, { nowMs });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  expect(result.value.readings).toHaveLength(payload.readingCount);
  return result.value.readings;
}

describe('simulated device', () => {
  it('sends one single-reading message per tick while online', () => {
    const device = createSimulatedDevice(config(), createRng(1));
    const sent = device.tick(START_MS, connected);
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]?.payload ?? '')).toMatchObject({ v: 1, seq: 1 });
    expect(device.buffered).toBe(0);
  });

  it('holds readings through an offline period and flushes them as batches of at most 1000 with their original times', () => {
    // Offline from 1 h to 22 h: 1260 one-minute readings held.
    const faults = [{ kind: 'offline' as const, fromMs: START_MS + HOUR, toMs: START_MS + 22 * HOUR }];
    const device = createSimulatedDevice(config({ faults }), createRng(2));
    const messages: { atMs: number; payload: TelemetryPayload }[] = [];
    for (let t = 0; t <= 23 * HOUR; t += MINUTE) {
      const atMs = START_MS + t;
      for (const payload of device.tick(atMs, connected)) messages.push({ atMs, payload });
      if (t === 22 * HOUR - MINUTE) expect(device.buffered).toBe(21 * 60);
    }

    const flush = messages.filter((m) => m.atMs === START_MS + 22 * HOUR);
    expect(flush.map((m) => m.payload.readingCount)).toEqual([
      MAX_BATCH_READINGS,
      21 * 60 + 1 - MAX_BATCH_READINGS,
    ]);
    const flushed = flush.flatMap((m) => readingsOf(m.payload, m.atMs));
    expect(flushed[0]?.tsMs).toBe(START_MS + HOUR);
    expect(flushed.at(-1)?.tsMs).toBe(START_MS + 22 * HOUR);
    expect(flushed.map((r) => r.tsMs)).toEqual(flushed.map((_, i) => START_MS + HOUR + i * MINUTE));

    // Nothing lost, nothing twice: every minute once, seq 1..n in order.
    const all = messages.flatMap((m) => readingsOf(m.payload, m.atMs));
    expect(all).toHaveLength(23 * 60 + 1);
    expect(all.map((r) => r.seq)).toEqual(all.map((_, i) => i + 1));
    expect(device.buffered).toBe(0);
  });

  it('buffers while the connection is down and sends the backlog with the first reading after it', () => {
    const device = createSimulatedDevice(config(), createRng(3));
    expect(device.tick(START_MS, { connected: false })).toEqual([]);
    expect(device.tick(START_MS + MINUTE, { connected: false })).toEqual([]);
    const sent = device.tick(START_MS + 2 * MINUTE, connected);
    expect(sent).toHaveLength(1);
    expect(readingsOf(sent[0] as TelemetryPayload, START_MS + 2 * MINUTE).map((r) => r.seq)).toEqual([
      1, 2, 3,
    ]);
  });

  it('overwrites the oldest readings when its memory is full, and counts them', () => {
    const device = createSimulatedDevice(config({ maxBufferedReadings: 5 }), createRng(4));
    for (let i = 0; i < 8; i++) device.tick(START_MS + i * MINUTE, { connected: false });
    expect(device.buffered).toBe(5);
    expect(device.dropped).toBe(3);
    const sent = device.tick(START_MS + 8 * MINUTE, connected);
    expect(readingsOf(sent[0] as TelemetryPayload, START_MS + 8 * MINUTE).map((r) => r.seq)).toEqual([
      5, 6, 7, 8, 9,
    ]);
  });

  it('still sends what it took before an outage began, and keeps what it takes during it', () => {
    // Readings logged while the link was down (a recorded history), then an outage from 3 min.
    const faults = [{ kind: 'offline' as const, fromMs: START_MS + 3 * MINUTE, toMs: START_MS + 6 * MINUTE }];
    const device = createSimulatedDevice(config({ faults }), createRng(5));
    for (let i = 0; i < 4; i++) device.tick(START_MS + i * MINUTE, { connected: false });
    const before = device.tick(START_MS + 4 * MINUTE, connected);
    expect(before.flatMap((p) => readingsOf(p, START_MS + 4 * MINUTE).map((r) => r.seq))).toEqual([1, 2, 3]);
    expect(device.buffered).toBe(2);
    expect(device.tick(START_MS + 5 * MINUTE, connected)).toEqual([]);
    const after = device.tick(START_MS + 6 * MINUTE, connected);
    expect(after.flatMap((p) => readingsOf(p, START_MS + 6 * MINUTE).map((r) => r.seq))).toEqual([
      4, 5, 6, 7,
    ]);
  });

  it('skips a span already sent: the model moves on, nothing is kept', () => {
    const device = createSimulatedDevice(config(), createRng(6));
    device.skip(START_MS);
    device.skip(START_MS + MINUTE);
    expect(device.buffered).toBe(0);
    const sent = device.tick(START_MS + 2 * MINUTE, connected);
    expect(readingsOf(sent[0] as TelemetryPayload, START_MS + 2 * MINUTE).map((r) => r.seq)).toEqual([3]);
  });
});
