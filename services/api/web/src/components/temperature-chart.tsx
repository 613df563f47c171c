import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { EChartsOption, EChartsType } from '../echarts-global.js';
import { formatPct, formatTemp, formatTimeShort } from '../format.js';
import { t, tOr } from '../i18n.js';
import type { HistoryPoint, Report } from '../types.js';
import { useChart } from './use-chart.js';

/** Below this span the chart shows every stored reading instead of the report's downsampled line. */
export const RAW_SPAN_MS = 2 * 86_400_000;

type Pair = [number, number | null];

/** Raw readings of a stretch of the journey, as the page can read them (operator or share link). */
export type LoadReadings = (fromMs: number, toMs: number) => Promise<HistoryPoint[]>;

const EXCURSION_COLOUR = {
  critical: 'rgba(220, 38, 38, 0.28)',
  warning: 'rgba(245, 158, 11, 0.28)',
} as const;

/** A line with a break at every data gap: a gap is no reading, not a straight line across it. */
function withGaps(points: Pair[], gaps: Report['chart']['gaps']): Pair[] {
  const breaks: Pair[] = gaps.map((g) => [Math.round((g.startMs + g.endMs) / 2), null]);
  return [...points, ...breaks].sort((a, b) => a[0] - b[0]);
}

function judgedSensor(report: Report): string {
  return report.sensors.find((s) => s.kind === 'temperature' && s.judged)?.sensor ?? 'product';
}

/**
 * The whole journey's temperature: the allowed range as a band, each excursion shaded, each custody
 * handover marked, door openings, humidity where the profile has a range for it. Zooming in below
 * `RAW_SPAN_MS` replaces the downsampled line with the stored readings of that stretch.
 */
export function TemperatureChart({ report, loadReadings }: { report: Report; loadReadings: LoadReadings }) {
  const { chart } = report;
  const sensor = judgedSensor(report);
  const humidityLimits = report.profile.definition.humidity;
  const hasHumidity = humidityLimits !== undefined;
  const [detail, setDetail] = useState<{ fromMs: number; toMs: number; points: HistoryPoint[] } | null>(null);
  const [humidity, setHumidity] = useState<Pair[]>([]);
  const [zoomed, setZoomed] = useState(false);
  const instance = useRef<EChartsType | null>(null);

  // Humidity has no downsampled line in the report: read it once for the journey.
  useEffect(() => {
    if (!hasHumidity) return;
    let current = true;
    loadReadings(chart.fromMs, chart.toMs).then(
      (points) => {
        if (current) setHumidity(points.filter((p) => p.rh !== undefined).map((p) => [p.tsMs, p.rh ?? null]));
      },
      () => {},
    );
    return () => {
      current = false;
    };
  }, [chart.fromMs, chart.toMs, hasHumidity, loadReadings]);

  const option = useMemo((): EChartsOption => {
    let line: Pair[] = chart.points.map((p) => [p.tsMs, p.tempC]);
    if (detail) {
      const inside: Pair[] = [];
      for (const p of detail.points) {
        const v = p.temp[sensor] ?? p.temp.product ?? p.temp.air;
        if (v !== undefined) inside.push([p.tsMs, v]);
      }
      line = [...line.filter(([ts]) => ts < detail.fromMs || ts > detail.toMs), ...inside];
    }
    line = withGaps(line, chart.gaps);
    const values = chart.points.map((p) => p.tempC);
    const low = chart.rangeC.lowC ?? Math.min(...values, chart.rangeC.highC ?? 0) - 5;
    const high = chart.rangeC.highC ?? Math.max(...values, chart.rangeC.lowC ?? 0) + 5;
    return {
      animation: false,
      grid: { left: 48, right: hasHumidity ? 48 : 16, top: 40, bottom: 72 },
      legend: { top: 0 },
      tooltip: {
        trigger: 'axis',
        valueFormatter: (v) => (typeof v === 'number' ? formatTemp(v) : '—'),
      },
      xAxis: {
        type: 'time',
        min: chart.fromMs,
        max: chart.toMs,
        axisLabel: { formatter: (v: number) => formatTimeShort(v), hideOverlap: true },
      },
      yAxis: [
        // The allowed range always in view, with a degree of margin: a flat line reads as "inside".
        {
          type: 'value',
          name: '°C',
          min: (v: { min: number }) => Math.floor(Math.min(v.min, low) - 1),
          max: (v: { max: number }) => Math.ceil(Math.max(v.max, high) + 1),
        },
        ...(hasHumidity
          ? [{ type: 'value' as const, name: '%RH', min: 0, max: 100, splitLine: { show: false } }]
          : []),
      ],
      dataZoom: [
        { type: 'inside', xAxisIndex: 0, filterMode: 'none', minValueSpan: 10 * 60_000 },
        { type: 'slider', xAxisIndex: 0, filterMode: 'none', height: 24, bottom: 12 },
      ],
      series: [
        {
          id: 'temperature',
          name: t('temperature'),
          type: 'line',
          showSymbol: false,
          connectNulls: false,
          sampling: 'lttb',
          data: line,
          lineStyle: { width: 1.5, color: '#1d4ed8' },
          itemStyle: { color: '#1d4ed8' },
          markArea: {
            silent: true,
            itemStyle: { color: 'rgba(34, 197, 94, 0.12)' },
            data: [[{ yAxis: low, name: t('rangeBand') }, { yAxis: high }]],
            label: { show: false },
          },
        },
        {
          id: 'excursions',
          name: t('excursions'),
          type: 'line',
          data: [],
          itemStyle: { color: EXCURSION_COLOUR.critical },
          markArea: {
            label: { show: false },
            data: chart.excursions.map((e) => [
              {
                xAxis: e.startMs,
                name: tOr(`rule_${e.rule}`, e.rule),
                itemStyle: { color: EXCURSION_COLOUR[e.severity] },
              },
              { xAxis: e.endMs },
            ]),
          },
        },
        {
          id: 'door',
          name: t('doorOpen'),
          type: 'line',
          data: [],
          itemStyle: { color: 'rgba(100, 116, 139, 0.25)' },
          markArea: {
            label: { show: false },
            itemStyle: { color: 'rgba(100, 116, 139, 0.2)' },
            data: chart.doorOpen.map((d) => [{ xAxis: d.startMs }, { xAxis: d.endMs }]),
          },
        },
        {
          id: 'handovers',
          name: t('handovers'),
          type: 'line',
          data: [],
          itemStyle: { color: '#7c3aed' },
          markLine: {
            symbol: ['none', 'none'],
            lineStyle: { color: '#7c3aed', type: 'dashed' },
            label: { formatter: '{b}', position: 'insideEndBottom', fontSize: 10 },
            data: chart.handovers.map((h) => ({ xAxis: h.tsMs, name: h.holder })),
          },
        },
        ...(hasHumidity
          ? [
              {
                id: 'humidity',
                name: t('humidity'),
                type: 'line' as const,
                yAxisIndex: 1,
                showSymbol: false,
                sampling: 'lttb' as const,
                data: humidity,
                lineStyle: { width: 1, color: '#0891b2' },
                itemStyle: { color: '#0891b2' },
                tooltip: { valueFormatter: (v: unknown) => (typeof v === 'number' ? formatPct(v, 1) : '—') },
                // The humidity limits as dotted lines on the humidity axis.
                markLine: {
                  silent: true,
                  symbol: ['none', 'none'],
                  lineStyle: { color: '#0891b2', type: 'dotted' as const },
                  label: { formatter: '{c} %', position: 'insideStartTop' as const, fontSize: 10 },
                  data: [humidityLimits?.lowPct, humidityLimits?.highPct]
                    .filter((v): v is number => v !== undefined)
                    .map((yAxis) => ({ yAxis })),
                },
              },
            ]
          : []),
      ],
    };
  }, [chart, detail, humidity, hasHumidity, humidityLimits, sensor]);

  // Zoomed below RAW_SPAN_MS: the stored readings of the visible stretch, read once it settles.
  const onReady = (c: EChartsType) => {
    instance.current = c;
    let timer: ReturnType<typeof setTimeout> | undefined;
    c.on('datazoom', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const zoom = (c.getOption() as { dataZoom?: Array<{ startValue?: number; endValue?: number }> })
          .dataZoom?.[0];
        const fromMs = zoom?.startValue ?? chart.fromMs;
        const toMs = zoom?.endValue ?? chart.toMs;
        setZoomed(toMs - fromMs < (chart.toMs - chart.fromMs) * 0.99);
        if (toMs - fromMs > RAW_SPAN_MS || !chart.downsampled) return;
        loadReadings(fromMs, toMs).then(
          (points) => setDetail({ fromMs, toMs, points }),
          () => {},
        );
      }, 250);
    });
  };
  const ref = useChart(option, onReady);

  return (
    <figure class="card chart-card">
      <figcaption>
        <h2>{t('chartTitle')}</h2>
        <span class="sub">
          {t('excursions')}: {chart.excursions.length} · {t('handovers')}: {chart.handovers.length}
        </span>
        {zoomed && (
          <button
            type="button"
            onClick={() => instance.current?.dispatchAction({ type: 'dataZoom', start: 0, end: 100 })}
          >
            {t('resetZoom')}
          </button>
        )}
      </figcaption>
      <div ref={ref} class="chart" data-testid="temperature-chart" />
    </figure>
  );
}
