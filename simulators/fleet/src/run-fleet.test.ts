import { describe, expect, it } from 'vitest';
import { climateForBand } from './climate.js';
import { runFleet } from './run-fleet.js';
import type { FleetDevice } from './seed-devices.js';

// Nothing here listens: the fleet points at a closed loopback port, so every connection is refused.
const devices: FleetDevice[] = [
  { id: 'veh-a', kind: 'vehicle', climate: climateForBand({ lowC: 2, highC: 8 }) },
  { id: 'log-b', kind: 'logger', climate: climateForBand({ lowC: 2, highC: 8 }) },
];
const url = 'mqtt://127.0.0.1:1';

describe('runFleet', () => {
  it('refuses to start when a device has no credentials, naming it', async () => {
    await expect(runFleet({ url, devices, credentials: { 'veh-a': 's' } })).rejects.toThrow(/log-b/);
  });

  it.each([
    [[...devices, devices[0] as FleetDevice], /listed twice/],
    [[{ ...(devices[0] as FleetDevice), id: 'a/b' }], /invalid device id/],
  ])('refuses a bad device list before connecting anything', async (list, error) => {
    await expect(
      runFleet({ url, devices: list, credentials: { 'veh-a': 's', 'log-b': 's', 'a/b': 's' } }),
    ).rejects.toThrow(error);
  });

  it('refuses a fault for a device that is not in the fleet', async () => {
    const credentials = { 'veh-a': 's', 'log-b': 's' };
    const faults = [{ deviceId: 'veh-z', kind: 'offline' as const, afterMs: 0 }];
    await expect(runFleet({ url, devices, credentials, faults })).rejects.toThrow(/veh-z/);
  });

  it.each([{ intervalMs: 0 }, { speed: -1 }, { durationMs: Number.NaN }])('refuses %j', async (bad) => {
    await expect(runFleet({ url, devices, credentials: {}, ...bad })).rejects.toThrow(RangeError);
  });

  it('keeps readings while the broker is unreachable, ends after its duration, and stops twice safely', async () => {
    const lines: string[] = [];
    const fleet = await runFleet({
      url,
      devices,
      credentials: { 'veh-a': 's', 'log-b': 's' },
      intervalMs: 20,
      durationMs: 300,
      statsIntervalMs: 0,
      log: (line) => lines.push(line),
    });
    await fleet.stopped;
    const stats = fleet.stats();
    expect(stats).toMatchObject({ devices: 2, connected: 0, readingsSent: 0, messagesSent: 0 });
    // About 30 at this interval; a loaded machine's timers fire late, so only that they were kept.
    expect(stats.readingsBuffered).toBeGreaterThanOrEqual(2);
    await Promise.all([fleet.stop(), fleet.stop()]);
    expect(lines.filter((l) => l.startsWith('fleet stopped'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('ECONNREFUSED'))).toBe(true);
  });

  it('holds the recorded history since its start, less what an earlier run sent, and refuses it at another speed', async () => {
    const nowMs = Date.parse('2026-06-01T12:00:00.000Z');
    const credentials = { 'veh-a': 's', 'log-b': 's' };
    const common = {
      url,
      devices,
      credentials,
      statsIntervalMs: 0,
      now: () => nowMs,
      startMs: nowMs - 3_600_000,
    };
    const all = await runFleet({ ...common, history: { intervalMs: 60_000 } });
    // One reading a minute for the hour before the start, per device.
    expect(all.stats()).toMatchObject({ readingsBuffered: 2 * 60, eventTimeMs: nowMs });
    await all.stop();
    const rest = await runFleet({ ...common, history: { intervalMs: 60_000, sentUntilMs: nowMs - 600_000 } });
    expect(rest.stats().readingsBuffered).toBe(2 * 9);
    await rest.stop();
    await expect(runFleet({ ...common, speed: 10, history: { intervalMs: 60_000 } })).rejects.toThrow(
      /speed 1/,
    );
  });
});
