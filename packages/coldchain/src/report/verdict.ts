import type { LegCompliance } from '../shipment-excursions.js';
import type {
  JudgedStatistics,
  ReportExcursion,
  ReportLegInput,
  ReportProfile,
  ReportShipmentStatus,
  Verdict,
  VerdictReason,
} from './report-model.js';

export interface VerdictInput {
  status: ReportShipmentStatus;
  profile: ReportProfile;
  legs: readonly ReportLegInput[];
  /** The engine's evaluation of each leg, in the order of `legs`. */
  compliance: readonly LegCompliance[];
  excursions: readonly ReportExcursion[];
  judged: JudgedStatistics;
  nowMs: number;
}

/**
 * The verdict and every reason for it.
 *
 * Fail: each excursion the engine counts as failing (`compliance.ts`: all but door); the journey's MKT of the
 * judged series above `mktLimitC` (USP <1079> judges the whole period), and — when there are several legs —
 * each leg's MKT the engine found above it; the journey's time outside the range above `cumulativeBudgetMs`
 * (the journey total: the engine's cumulative rule runs per leg, and a handover must not reset the budget).
 *
 * Pending: no custody leg yet; a leg still open at `nowMs`; the shipment planned or in transit; or the last
 * leg ended less than `maxGapMs` before `nowMs` — a store-and-forward logger may still be uploading its last
 * records, and a report issued then would be revised (from `lastEnd + maxGapMs` on, anything later is a
 * backlog the revisions record).
 *
 * Fail outranks pending: a failure read from the records is not withdrawn by waiting, and the pending reasons
 * are listed with it so a reader knows late data may still change the record.
 */
export function decideVerdict(input: VerdictInput): Verdict {
  const reasons: VerdictReason[] = [];
  const fail = (
    code: VerdictReason['code'],
    message: string,
    legId: number | null,
    alertKey: string | null,
  ) => reasons.push({ code, effect: 'fail', message, legId, alertKey });
  const pending = (code: VerdictReason['code'], message: string, legId: number | null) =>
    reasons.push({ code, effect: 'pending', message, legId, alertKey: null });

  for (const e of input.excursions) {
    if (!e.failing) continue;
    const limit = e.limit === null ? '' : ` beyond ${e.limit}`;
    fail('excursion', `${e.rule} excursion${limit} on leg ${e.legId} (${e.holder})`, e.legId, e.alertKey);
  }
  const limitC = input.profile.mktLimitC;
  if (limitC !== null) {
    const mkt = input.judged.mktC;
    if (mkt !== null && mkt > limitC) {
      fail(
        'mkt',
        `the journey's mean kinetic temperature ${mkt.toFixed(2)} °C is above ${limitC} °C`,
        null,
        null,
      );
    }
    if (input.compliance.length > 1) {
      for (const leg of input.compliance) {
        const legMkt = leg.summary.mktC;
        if (legMkt !== null && legMkt > limitC) {
          fail(
            'mkt',
            `leg ${leg.legId}'s mean kinetic temperature ${legMkt.toFixed(2)} °C is above ${limitC} °C`,
            leg.legId,
            null,
          );
        }
      }
    }
  }
  const budget = input.judged.budget;
  if (budget?.overBudget === true) {
    const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
    fail(
      'budget',
      `${minutes(budget.usedMs)} outside the range exceeds the budget of ${minutes(budget.budgetMs)}`,
      null,
      null,
    );
  }

  if (input.legs.length === 0) pending('no-custody', 'no custody leg has been recorded', null);
  for (const leg of input.compliance) {
    if (!leg.legEnded) pending('leg-open', `leg ${leg.legId} (${leg.holder}) is still open`, leg.legId);
  }
  if (input.status === 'planned' || input.status === 'in_transit') {
    pending('not-delivered', `the shipment is ${input.status.replace('_', ' ')}`, null);
  }
  const last = input.legs[input.legs.length - 1];
  if (last?.toMs != null && last.toMs <= input.nowMs && input.nowMs - last.toMs < input.profile.maxGapMs) {
    pending(
      'data-may-arrive',
      `the last leg ended less than ${input.profile.maxGapMs / 60_000} min ago; records may still arrive`,
      last.id,
    );
  }

  const status = reasons.some((r) => r.effect === 'fail')
    ? 'fail'
    : reasons.some((r) => r.effect === 'pending')
      ? 'pending'
      : 'pass';
  return { status, reasons };
}
