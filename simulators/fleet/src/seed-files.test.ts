import { readFileSync } from 'node:fs';
import { isValidShipmentId } from '@coldchain/schema';
import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS } from './device-model.js';
import {
  DEFAULT_DEVICES_FILE,
  DEFAULT_PROFILES_FILE,
  loadFleetDevices,
  parseSeedDevices,
} from './seed-devices.js';
import { resolveSeedTime } from './seed-time.js';

// The demo data in seeds/: devices the simulator runs and shipments the demo creates must agree.
const read = (url: URL) => JSON.parse(readFileSync(url, 'utf8')) as unknown;
const devices = parseSeedDevices(read(DEFAULT_DEVICES_FILE));
const profileIds = (read(DEFAULT_PROFILES_FILE) as { profiles: { id: string }[] }).profiles.map((p) => p.id);
const { shipments } = read(new URL('../../../seeds/shipments.json', import.meta.url)) as {
  shipments: {
    id: string;
    profileId: string;
    shipper: string;
    consignee: string;
    legs: { deviceId: string; holder: string; from: string; to: string | null }[];
  }[];
};
const NOW_MS = Date.parse('2026-06-01T12:00:00.000Z');

describe('seed data', () => {
  it('has devices of every kind, each resolving to a climate from its profile', async () => {
    expect(new Set(devices.map((d) => d.kind))).toEqual(new Set(DEVICE_KINDS));
    const fleet = await loadFleetDevices();
    expect(fleet.map((d) => d.id)).toEqual(devices.map((d) => d.id));
    for (const d of devices) {
      expect(profileIds).toContain(d.profileId);
      if (d.kind === 'vehicle') expect(d.route, d.id).toBeDefined();
      if (d.kind === 'cold-room' || d.kind === 'cabinet') expect(d.location, d.id).toBeDefined();
    }
  });

  it('has shipments with valid ids and profiles, whose legs name seed devices in time order', () => {
    const deviceIds = new Set(devices.map((d) => d.id));
    expect(shipments.length).toBeGreaterThanOrEqual(6);
    expect(new Set(shipments.map((s) => s.id)).size).toBe(shipments.length);
    for (const s of shipments) {
      expect(isValidShipmentId(s.id), s.id).toBe(true);
      expect(profileIds).toContain(s.profileId);
      expect(s.shipper && s.consignee).toBeTruthy();
      s.legs.forEach((leg, i) => {
        expect(deviceIds.has(leg.deviceId), leg.deviceId).toBe(true);
        expect(leg.holder).toBeTruthy();
        const fromMs = resolveSeedTime(leg.from, NOW_MS);
        const next = s.legs[i + 1];
        if (next) expect(leg.to).toBe(next.from);
        else expect(leg.to).toBeNull();
        if (leg.to !== null) expect(resolveSeedTime(leg.to, NOW_MS)).toBeGreaterThan(fromMs);
      });
    }
  });
});
