import type { ComponentChildren } from 'preact';
import type { TrackFeatureCollection } from '../../../src/history/track-geojson.js';
import { formatTime } from '../format.js';
import { t, tOr } from '../i18n.js';
import type { Report } from '../types.js';
import { CustodyChain } from './custody-chain.js';
import { ReportSummary } from './report-summary.js';
import { RouteMap } from './route-map.js';
import { type LoadReadings, TemperatureChart } from './temperature-chart.js';

/** One shipment's page, for an operator and (read-only) for a consignee alike. */
export function ShipmentView({
  report,
  track,
  loadReadings,
  downloads,
  extra,
}: {
  report: Report;
  track: TrackFeatureCollection;
  loadReadings: LoadReadings;
  downloads: ComponentChildren;
  extra?: ComponentChildren;
}) {
  const s = report.shipment;
  // The track marks every alert the shipment ever had, withdrawn ones too; the map shows the
  // excursions that stand, the same ones the chart shades.
  const standing = new Set(report.excursions.map((e) => `${e.rule}@${e.startMs}`));
  const shown = {
    ...track,
    features: track.features.filter(
      (f) =>
        !('kind' in f.properties && f.properties.kind === 'excursion') ||
        standing.has(`${f.properties.rule}@${f.properties.tsMs}`),
    ),
  };
  return (
    <div class="shipment">
      <header class="page-head">
        <h1>
          {s.id} <span class="sub">{s.goods}</span>
        </h1>
        <span class="badge">{tOr(`shipmentStatus_${s.status}`, s.status)}</span>
      </header>
      <p class="sub">
        {t('shipper')}: {s.shipper} · {t('consignee')}: {s.consignee} · {t('profile')}: {report.profile.name}
        {report.period && (
          <>
            {' '}
            · {formatTime(report.period.startMs)} → {formatTime(report.period.endMs)}
          </>
        )}
      </p>
      <div class="shipment-grid">
        <ReportSummary report={report} downloads={downloads} />
        <CustodyChain custody={report.custody} />
        <TemperatureChart report={report} loadReadings={loadReadings} />
        <RouteMap track={shown} />
        {extra}
      </div>
    </div>
  );
}
