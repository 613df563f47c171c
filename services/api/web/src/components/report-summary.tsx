import type { ComponentChildren } from 'preact';
import { formatCount, formatDuration, formatPct, formatTemp } from '../format.js';
import { t } from '../i18n.js';
import type { Report } from '../types.js';

/** The verdict at a glance, MKT, time out of range and completeness, with the exports. */
export function ReportSummary({ report, downloads }: { report: Report; downloads: ComponentChildren }) {
  const { judged, completeness, verdict } = report;
  // The share of interval slots holding a reading, as the report counts it (the gaps' missing slots).
  const missing = completeness.gaps.reduce((n, g) => n + g.missingReadings, 0);
  const ratio =
    completeness.expectedReadings > 0
      ? (Math.max(0, completeness.expectedReadings - missing) / completeness.expectedReadings) * 100
      : null;
  const headline =
    verdict.status === 'pass' ? t('stayedCold') : verdict.status === 'fail' ? t('notCold') : t('pendingCold');
  return (
    <section class="card summary">
      <h2>{t('summary')}</h2>
      <div class={`verdict verdict-${verdict.status}`} data-testid="verdict" data-verdict={verdict.status}>
        <span class="verdict-word">{t(`verdict_${verdict.status}`)}</span>
        <span>{headline}</span>
      </div>
      <dl class="figures">
        <dt>{t('mkt')}</dt>
        <dd>
          {formatTemp(judged.mktC)}
          {report.profile.mktLimitC !== null && (
            <span class="sub"> / ≤ {formatTemp(report.profile.mktLimitC)}</span>
          )}
        </dd>
        <dt>{t('timeOutOfRange')}</dt>
        <dd>
          {formatDuration(judged.timeOutsideRangeMs)}
          {judged.budget && <span class="sub"> / {formatDuration(judged.budget.budgetMs)}</span>}
        </dd>
        <dt>{t('completeness')}</dt>
        <dd>
          {formatPct(ratio, 1)}{' '}
          <span class="sub">
            ({formatCount(completeness.receivedReadings)} / {formatCount(completeness.expectedReadings)}{' '}
            {t('readings')})
          </span>
        </dd>
        <dt>{t('range')}</dt>
        <dd>
          {formatTemp(report.profile.rangeC.lowC)} – {formatTemp(report.profile.rangeC.highC)}
        </dd>
      </dl>
      <div class="downloads">
        <span class="sub">{t('downloads')}:</span> {downloads}
      </div>
    </section>
  );
}
