import { type Excursion, evaluateLegs, type ShipmentExcursions, toEngineReading } from '@coldchain/coldchain';
import type { CustodyLeg, RevisionExcursion, Shipment } from '@coldchain/store';
import type { ApiContext } from '../api-deps.js';
import { ApiError } from './api-error.js';

/**
 * What the breach engine finds over a shipment's stored readings at `atMs`: every leg's device over
 * the leg's window (an open leg up to `atMs`), through the readings cache. The one evaluation the
 * excursions routes (owner's and share link's) and the EPCIS export answer from.
 */
export async function evaluateShipment(
  ctx: ApiContext,
  shipment: Shipment,
  legs: readonly CustodyLeg[],
  atMs: number,
): Promise<ShipmentExcursions> {
  const profile = ctx.profiles.get(shipment.profileId);
  if (!profile) throw new ApiError('internal', `profile ${shipment.profileId} is not configured`);
  const withReadings = await Promise.all(
    legs.map(async (leg) => ({
      shipmentId: leg.shipmentId,
      legId: leg.id,
      holder: leg.holder,
      deviceId: leg.deviceId,
      fromMs: leg.fromMs,
      toMs: leg.toMs,
      readings: (await ctx.readings(leg.deviceId, leg.fromMs, leg.toMs ?? atMs + 1)).readings.map(
        toEngineReading,
      ),
    })),
  );
  return evaluateLegs(withReadings, profile, atMs);
}

/** An excursion as a revision records it (and EPCIS marks it): what identifies it and its peak. */
export const revisionExcursionOf = (
  e: Pick<Excursion, 'key' | 'rule' | 'severity' | 'startMs' | 'endMs' | 'peak'> & {
    legId: number;
    deviceId: string;
  },
): RevisionExcursion => ({
  key: e.key,
  rule: e.rule,
  severity: e.severity,
  deviceId: e.deviceId,
  legId: e.legId,
  startMs: e.startMs,
  endMs: e.endMs,
  peakValue: e.peak?.value ?? null,
});
