/**
 * Mean kinetic temperature, USP <1079>:
 *
 *   T_K = (ΔH/R) / −ln( Σ e^(−ΔH/(R·T_i)) / n )
 *
 * with ΔH = 83.144 kJ/mol and R = 8.3144 J/(mol·K), so ΔH/R = 10,000 K. The time-weighted form replaces the
 * plain mean by a mean weighted by how long each temperature lasted, for irregular sampling:
 *
 *   T_K = (ΔH/R) / −ln( Σ t_i·e^(−ΔH/(R·T_i)) / Σ t_i )
 */
export const MKT_ACTIVATION_K = 83_144 / 8.3144;

const KELVIN_OFFSET = 273.15;

export interface WeightedTemperature {
  tempC: number;
  /** How long the temperature lasted (any unit; only ratios matter). */
  weight: number;
}

/** MKT of equally spaced samples, °C; null without samples. */
export function meanKineticTemperature(tempsC: readonly number[]): number | null {
  return timeWeightedMkt(tempsC.map((tempC) => ({ tempC, weight: 1 })));
}

/** MKT of samples weighted by their durations, °C; null when the weights sum to zero. */
export function timeWeightedMkt(samples: readonly WeightedTemperature[]): number | null {
  let sum = 0;
  let weight = 0;
  for (const sample of samples) {
    sum += sample.weight * arrheniusTerm(sample.tempC);
    weight += sample.weight;
  }
  return mktFromSums(sum, weight);
}

/** e^(−ΔH/(R·T)): the relative reaction rate at `tempC` that MKT averages. */
export function arrheniusTerm(tempC: number): number {
  return Math.exp(-MKT_ACTIVATION_K / (tempC + KELVIN_OFFSET));
}

/** MKT, °C, from a running Σ weight·arrheniusTerm and Σ weight; null when the weights sum to zero. */
export function mktFromSums(weightedTermSum: number, weightSum: number): number | null {
  if (!(weightSum > 0)) return null;
  return MKT_ACTIVATION_K / -Math.log(weightedTermSum / weightSum) - KELVIN_OFFSET;
}
