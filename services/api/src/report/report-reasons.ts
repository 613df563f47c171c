import type { ComplianceReport, VerdictReason } from '@coldchain/coldchain';
import type { ReportFormat } from './report-format.js';
import type { ReportLabels } from './report-labels.js';

/**
 * A verdict reason in the reader's language, built from its code and the record it points at (the model's
 * `message` is English, for logs). A reason whose excursion is not in the report falls back to that message
 * rather than to nothing.
 */
export function reasonText(
  reason: VerdictReason,
  report: ComplianceReport,
  labels: ReportLabels,
  format: ReportFormat,
): string {
  switch (reason.code) {
    case 'excursion': {
      const excursion = report.excursions.find((e) => e.alertKey === reason.alertKey);
      if (excursion === undefined) return reason.message;
      return labels.reason.excursion(
        labels.rule[excursion.rule],
        format.local(excursion.startMs),
        excursion.holder,
      );
    }
    case 'mkt': {
      const leg =
        reason.legId === null ? undefined : report.judged.legs.find((l) => l.legId === reason.legId);
      const mkt = leg === undefined ? report.judged.mktC : leg.mktC;
      return labels.reason.mkt(format.tempC(mkt), format.tempC(report.profile.mktLimitC), reason.legId);
    }
    case 'budget': {
      const budget = report.judged.budget;
      if (budget === null) return reason.message;
      return labels.reason.budget(format.duration(budget.usedMs), format.duration(budget.budgetMs));
    }
    case 'no-custody':
      return labels.reason.noCustody;
    case 'leg-open':
      return labels.reason.legOpen(reason.legId);
    case 'not-delivered':
      return labels.reason.notDelivered;
    case 'data-may-arrive':
      return labels.reason.dataMayArrive;
  }
}
