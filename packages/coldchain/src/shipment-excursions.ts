import { alertKey } from './alert-key.js';
import type { ComplianceSummary } from './compliance.js';
import { evaluate } from './engine.js';
import { compareExcursions, type Excursion } from './excursion.js';
import type { Profile } from './profile.js';
import type { Reading } from './reading.js';

/** One custody leg of a shipment with its device's readings (those outside the leg are ignored). */
export interface LegReadings {
  shipmentId: string;
  legId: number;
  holder: string;
  deviceId: string;
  fromMs: number;
  /** Null while the leg is open. */
  toMs: number | null;
  readings: readonly Reading[];
}

/** An excursion of one leg, with who held the goods, the device that measured it and its alert. */
export interface LegExcursion extends Excursion {
  legId: number;
  holder: string;
  deviceId: string;
  /** The key of the alert the ingest raised (or raises) for it: `alertKey(shipmentId, legId, key)`. */
  alertKey: string;
}

/** What one leg's evaluation says about it as a whole. */
export interface LegCompliance {
  legId: number;
  holder: string;
  deviceId: string;
  /** The instant the leg was evaluated at: its end, or `nowMs` while it is open. */
  asOfMs: number;
  legEnded: boolean;
  summary: ComplianceSummary;
}

export interface ShipmentExcursions {
  /** Every leg's excursions, ordered by start, then key; early warnings are not among them. */
  excursions: LegExcursion[];
  /**
   * Every leg's early warnings (rule `early_warning`), ordered the same way: the ingest raises alerts for
   * them as for excursions, but they never fail a shipment and are listed apart, so that no caller counts
   * them as excursions by mistake.
   */
  earlyWarnings: LegExcursion[];
  /** In the order of the legs given. */
  legs: LegCompliance[];
}

/**
 * A shipment's excursions as the breach engine finds them: each leg evaluated over its own window with
 * the leg's device's readings, exactly as the ingest evaluates it (DESIGN.md §4, rules per custody leg),
 * so that what a report lists is what raised the alerts. `nowMs` judges an open leg at the present.
 */
export function evaluateLegs(
  legs: readonly LegReadings[],
  profile: Profile,
  nowMs: number,
): ShipmentExcursions {
  const excursions: LegExcursion[] = [];
  const earlyWarnings: LegExcursion[] = [];
  const compliance: LegCompliance[] = [];
  for (const leg of legs) {
    const { legId, holder, deviceId } = leg;
    const evaluation = evaluate(leg.readings, profile, { startMs: leg.fromMs, endMs: leg.toMs }, nowMs);
    for (const excursion of evaluation.excursions) {
      (excursion.rule === 'early_warning' ? earlyWarnings : excursions).push({
        ...excursion,
        legId,
        holder,
        deviceId,
        alertKey: alertKey(leg.shipmentId, legId, excursion.key),
      });
    }
    compliance.push({
      legId,
      holder,
      deviceId,
      asOfMs: evaluation.asOfMs,
      legEnded: evaluation.legEnded,
      summary: evaluation.summary,
    });
  }
  // Legs never overlap and a key holds its excursion's start, so keys are unique across the legs.
  excursions.sort(compareExcursions);
  earlyWarnings.sort(compareExcursions);
  return { excursions, earlyWarnings, legs: compliance };
}
