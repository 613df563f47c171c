/** One first-order coupling: the value relaxes toward `targetC` with time constant `tauMs`. */
export interface ThermalCoupling {
  targetC: number;
  tauMs: number;
}

/**
 * Advances a lumped thermal mass coupled to several sources, dT/dt = Σ (targetᵢ − T) / τᵢ, by `dtMs`. The
 * sum of first-order terms is itself first order, toward the τ-weighted mean target with rate Σ 1/τᵢ, so
 * the exact exponential solution applies: stable for any step, no Euler overshoot.
 */
export function relax(valueC: number, couplings: readonly ThermalCoupling[], dtMs: number): number {
  let rate = 0;
  let weighted = 0;
  for (const { targetC, tauMs } of couplings) {
    rate += 1 / tauMs;
    weighted += targetC / tauMs;
  }
  if (rate === 0 || dtMs <= 0) return valueC;
  const equilibriumC = weighted / rate;
  return equilibriumC + (valueC - equilibriumC) * Math.exp(-rate * dtMs);
}
