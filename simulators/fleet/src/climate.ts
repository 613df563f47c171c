/** What a device's refrigeration holds: its thermostat and, for produce, the humidity it keeps. */
export interface Climate {
  /** Thermostat set-point, °C. */
  setpointC: number;
  /** Thermostat differential: cooling starts above setpoint + diff/2 and stops below setpoint − diff/2. */
  thermostatDiffC: number;
  /** Relative humidity the unit keeps, %; absent: the device has no humidity sensor. */
  rhPct?: number;
}

/** A profile's target range, as `seeds/profiles.json` gives it (`temperature.targetC`, `humidity`). */
export interface ProfileBand {
  lowC?: number;
  highC?: number;
  rhLowPct?: number;
  rhHighPct?: number;
}

/** Below a one-sided upper limit (frozen: ≤ -18 °C) operators set the unit a few degrees colder. */
const ONE_SIDED_MARGIN_C = 3;
const MAX_DIFF_C = 1;
/** Humidity just above a lower-only limit, short of saturation (condensation on the load). */
const RH_ABOVE_LOW_PCT = 5;
const RH_CEILING_PCT = 97;

/**
 * How an operator sets a unit for a profile: the set-point in the middle of the target range (a few degrees
 * inside a one-sided limit), a differential of at most half the range so the air swing stays inside it,
 * and humidity in the middle of its range.
 */
export function climateForBand(band: ProfileBand): Climate {
  const { lowC, highC } = band;
  let setpointC: number;
  let thermostatDiffC = MAX_DIFF_C;
  if (lowC !== undefined && highC !== undefined) {
    if (lowC > highC) throw new RangeError(`target range ${lowC}..${highC} °C is empty`);
    setpointC = (lowC + highC) / 2;
    thermostatDiffC = Math.min(MAX_DIFF_C, (highC - lowC) / 2);
  } else if (highC !== undefined) {
    setpointC = highC - ONE_SIDED_MARGIN_C;
  } else if (lowC !== undefined) {
    setpointC = lowC + ONE_SIDED_MARGIN_C;
  } else {
    throw new RangeError('a target range needs lowC, highC or both');
  }
  const rhPct = humidityFor(band.rhLowPct, band.rhHighPct);
  return rhPct === undefined ? { setpointC, thermostatDiffC } : { setpointC, thermostatDiffC, rhPct };
}

function humidityFor(low: number | undefined, high: number | undefined): number | undefined {
  if (low !== undefined && high !== undefined) return (low + high) / 2;
  if (low !== undefined) return Math.min(RH_CEILING_PCT, low + RH_ABOVE_LOW_PCT);
  if (high !== undefined) return high - RH_ABOVE_LOW_PCT;
  return undefined;
}
