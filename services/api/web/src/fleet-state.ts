import type { DeviceState, ProfileSummary } from './types.js';

export type FleetState = 'ok' | 'warning' | 'excursion' | 'nodata' | 'idle';

/** Within this of a limit, still inside, a reading is shown as a warning: time to look. */
export const NEAR_LIMIT_C = 0.5;

/** The temperature a device's state is judged by: the product probe where it has one, else the air. */
export function judgedTempC(device: DeviceState): number | null {
  const temp = device.lastReading?.temp;
  if (!temp) return null;
  return temp.product ?? temp.air ?? Object.values(temp)[0] ?? null;
}

/**
 * A device's colour on the fleet view: no data when its newest reading is older than the
 * profile's maximum gap (or it has none), excursion outside the range of the shipment it carries,
 * warning within `NEAR_LIMIT_C` of a limit, else in range; a device carrying nothing is idle.
 */
export function fleetState(device: DeviceState, profile: ProfileSummary | null, nowMs: number): FleetState {
  const tempC = judgedTempC(device);
  const maxAgeMs = profile?.maxGapMs ?? 15 * 60_000;
  if (tempC === null || device.lastSeenMs === null || nowMs - device.lastSeenMs > maxAgeMs) return 'nodata';
  if (!profile) return 'idle';
  const { lowC, highC } = profile.rangeC;
  if ((lowC !== null && tempC < lowC) || (highC !== null && tempC > highC)) return 'excursion';
  if ((lowC !== null && tempC < lowC + NEAR_LIMIT_C) || (highC !== null && tempC > highC - NEAR_LIMIT_C))
    return 'warning';
  return 'ok';
}
