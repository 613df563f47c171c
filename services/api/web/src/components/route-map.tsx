import { useMemo } from 'preact/hooks';
import type {
  ExcursionFeature,
  HandoverFeature,
  LegLineFeature,
  TrackFeatureCollection,
} from '../../../src/history/track-geojson.js';
import { type EChartsOption, echarts } from '../echarts-global.js';
import { formatTime } from '../format.js';
import { t, tOr } from '../i18n.js';
import { LIAONING_OUTLINE } from '../liaoning-outline.js';
import { useChart } from './use-chart.js';

let registered = false;
function registerOutline() {
  if (registered) return;
  echarts.registerMap('liaoning', LIAONING_OUTLINE as never);
  registered = true;
}

/** The route from the track, drawn on the shipped outline of Liaoning, with handovers and excursions. */
export function RouteMap({ track }: { track: TrackFeatureCollection }) {
  registerOutline();
  const lines = track.features.filter((f): f is LegLineFeature => f.geometry.type === 'LineString');
  const handovers = track.features.filter(
    (f): f is HandoverFeature => 'kind' in f.properties && f.properties.kind === 'handover',
  );
  const excursions = track.features.filter(
    (f): f is ExcursionFeature => 'kind' in f.properties && f.properties.kind === 'excursion',
  );
  const option = useMemo(
    (): EChartsOption => ({
      animation: false,
      tooltip: { trigger: 'item' },
      geo: {
        map: 'liaoning',
        roam: true,
        itemStyle: { areaColor: '#eef2f7', borderColor: '#94a3b8' },
        emphasis: { disabled: true },
      },
      series: [
        {
          id: 'route',
          type: 'lines',
          coordinateSystem: 'geo',
          polyline: true,
          lineStyle: { color: '#1d4ed8', width: 3, opacity: 0.9 },
          data: lines.map((f) => ({
            coords: f.geometry.coordinates,
            name: f.properties.holder,
          })),
        },
        {
          id: 'handovers',
          name: t('handovers'),
          type: 'scatter',
          coordinateSystem: 'geo',
          symbol: 'diamond',
          symbolSize: 14,
          itemStyle: { color: '#7c3aed' },
          tooltip: { formatter: (p) => String((p as { name?: string }).name ?? '') },
          data: handovers.map((f) => ({
            value: f.geometry.coordinates,
            name: `${f.properties.holder} · ${formatTime(f.properties.tsMs)}`,
          })),
        },
        {
          id: 'excursions',
          name: t('excursions'),
          type: 'scatter',
          coordinateSystem: 'geo',
          symbol: 'circle',
          symbolSize: 12,
          itemStyle: { color: '#dc2626' },
          tooltip: { formatter: (p) => String((p as { name?: string }).name ?? '') },
          data: excursions.map((f) => ({
            value: f.geometry.coordinates,
            name: `${tOr(`rule_${f.properties.rule}`, f.properties.rule)} · ${formatTime(f.properties.tsMs)}`,
          })),
        },
      ],
    }),
    [track],
  );
  const ref = useChart(option);
  return (
    <figure class="card map-card">
      <figcaption>
        <h2>{t('route')}</h2>
        {lines.length === 0 && <span class="sub">{t('noTrack')}</span>}
      </figcaption>
      <div ref={ref} class="map" data-testid="route-map" />
    </figure>
  );
}
