// Shared by the report's tests; not exported from the package.
import type { MeasuredReading } from '../engine-reading.js';
import { type Profile, ProfileSchema } from '../profile.js';
import { at, MIN, testProfile } from '../test-fixtures.js';
import type { ReportAlertInput, ReportInput, ReportLegInput } from './report-model.js';

export { at, MIN };

/** The engine's 2–8 °C test profile, recording every 5 min (gaps at 10 min, budget 30 min, MKT limit 8 °C). */
export const reportProfile: Profile = ProfileSchema.parse({ ...testProfile, recordingIntervalMs: 5 * MIN });

export function withProfile(changes: Partial<Profile>): Profile {
  return ProfileSchema.parse({ ...reportProfile, ...changes });
}

/** Product temperatures every 5 min from minute `fromMin`, each with an air temperature 1 °C above. */
export function product(values: readonly number[], fromMin = 0): MeasuredReading[] {
  return values.map((v, i) => ({ tsMs: at(fromMin + i * 5), temp: { product: v, air: v + 1 } }));
}

export function leg(
  id: number,
  fromMin: number,
  toMin: number | null,
  readings: MeasuredReading[],
): ReportLegInput {
  return {
    id,
    deviceId: `logger-${id}`,
    holder: `carrier-${id}`,
    fromMs: at(fromMin),
    toMs: toMin === null ? null : at(toMin),
    handedOverBy: id === 1 ? null : `carrier-${id - 1}`,
    handoverTempC: 5,
    place: `dock-${id}`,
    note: null,
    endedBy: null,
    endTempC: null,
    endPlace: null,
    endNote: null,
    readings,
  };
}

export function reportInput(
  legs: ReportLegInput[],
  options: { profile?: Profile; nowMin?: number; status?: ReportInput['shipment']['status'] } = {},
  alerts: ReportAlertInput[] = [],
): ReportInput {
  return {
    shipment: {
      id: 'S-1',
      reference: 'WB-1',
      shipper: 'shipper-a',
      consignee: 'clinic-b',
      goods: 'vaccines, 2 boxes',
      profileId: 'test-2-8',
      origin: 'Dalian',
      destination: 'Shenyang',
      status: options.status ?? 'delivered',
      plannedDepartureMs: at(0),
      plannedArrivalMs: at(60),
      actualDepartureMs: at(0),
      actualArrivalMs: at(60),
    },
    profile: options.profile ?? reportProfile,
    legs,
    alerts,
    nowMs: at(options.nowMin ?? 24 * 60),
  };
}

/** A deterministic shuffle (no randomness in tests): reverses, then interleaves the halves. */
export function shuffled<T>(items: readonly T[]): T[] {
  const reversed = [...items].reverse();
  const half = Math.ceil(reversed.length / 2);
  const out: T[] = [];
  for (let i = 0; i < half; i++) {
    out.push(reversed[i]!);
    if (reversed[half + i] !== undefined) out.push(reversed[half + i]!);
  }
  return out;
}
