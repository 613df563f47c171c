import type { ReportChart } from '@coldchain/coldchain';
import { zoneOffsetMs } from '@coldchain/influx';
import * as echarts from 'echarts';
import { REPORT_FONT_FAMILY } from './report-font.js';
import { type ReportLang, reportLabels } from './report-labels.js';

export interface ChartRenderOptions {
  lang: ReportLang;
  timeZone: string;
  /** SVG user units; the PDF places them as points, the HTML page scales them to the page width. */
  width: number;
  height: number;
}

const COLOURS = {
  temperature: '#1f5fbf',
  range: 'rgba(46, 160, 67, 0.12)',
  target: 'rgba(46, 160, 67, 0.22)',
  excursion: 'rgba(215, 38, 61, 0.28)',
  door: 'rgba(240, 160, 30, 0.35)',
  settle: 'rgba(120, 120, 120, 0.15)',
  gap: 'rgba(120, 120, 120, 0.35)',
  handover: '#6a3d9a',
  warning: '#e08a00',
  critical: '#c0162f',
};

/**
 * The journey chart as an SVG string, rendered by ECharts on the server (SSR, no DOM): the judged temperature,
 * the range band (and target band), each limit as a line, excursions, door openings, settle periods and data
 * gaps shaded, handovers as vertical lines named by the new holder. The line breaks at every gap rather than
 * drawing a straight segment over time no reading covers.
 *
 * ECharts lays a time axis out in UTC or in the process's zone, neither of which is the reader's: every instant
 * is shifted by the reader's zone offset at that instant and the axis is laid out in UTC, so that ticks fall on
 * the reader's midnights and hours.
 */
export function renderReportChartSvg(chart: ReportChart, options: ChartRenderOptions): string {
  const labels = reportLabels(options.lang).chart;
  const at = (ms: number) => ms + zoneOffsetMs(ms, options.timeZone);
  const span = (startMs: number, endMs: number) => [{ xAxis: at(startMs) }, { xAxis: at(endMs) }];

  const data: [number, number | null][] = [];
  const gaps = [...chart.gaps].sort((a, b) => a.startMs - b.startMs);
  let g = 0;
  for (const p of chart.points) {
    // A null point between the readings on either side of a gap breaks the line there.
    while (g < gaps.length && (gaps[g]?.endMs ?? Number.POSITIVE_INFINITY) <= p.tsMs) {
      const gap = gaps[g++];
      if (gap !== undefined) data.push([at((gap.startMs + gap.endMs) / 2), null]);
    }
    data.push([at(p.tsMs), p.tempC]);
  }

  const { minC, maxC } = valueExtent(chart);
  const low = chart.rangeC.lowC ?? minC;
  const high = chart.rangeC.highC ?? maxC;

  const instance = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: options.width,
    height: options.height,
    locale: options.lang === 'zh-CN' ? 'ZH' : 'EN',
  });
  instance.setOption({
    animation: false,
    useUTC: true,
    textStyle: { fontFamily: REPORT_FONT_FAMILY, fontSize: 9 },
    grid: { left: 44, right: 16, top: 44, bottom: 24 },
    legend: {
      top: 0,
      left: 0,
      icon: 'rect',
      itemWidth: 14,
      itemHeight: 8,
      textStyle: { fontSize: 9 },
      data: [
        labels.temperature,
        labels.range,
        labels.excursion,
        labels.door,
        labels.handover,
        labels.settle,
        labels.gap,
      ],
    },
    xAxis: {
      type: 'time',
      min: at(chart.fromMs),
      max: at(chart.toMs),
      axisLabel: {
        fontSize: 8,
        hideOverlap: true,
        // Dates as month-day, never a bare day number a reader could take for an hour.
        formatter: {
          year: '{yyyy}',
          month: '{MM}-{dd}',
          day: '{MM}-{dd}',
          hour: '{HH}:{mm}',
          minute: '{HH}:{mm}',
        },
      },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value',
      name: labels.axis,
      nameLocation: 'middle',
      nameGap: 26,
      nameTextStyle: { fontSize: 9 },
      min: minC,
      max: maxC,
      axisLabel: { fontSize: 8 },
      splitLine: { lineStyle: { color: '#e6e6e6' } },
    },
    series: [
      {
        name: labels.temperature,
        type: 'line',
        data,
        showSymbol: data.length <= 1,
        symbolSize: 3,
        connectNulls: false,
        lineStyle: { width: 1, color: COLOURS.temperature },
        itemStyle: { color: COLOURS.temperature },
        z: 5,
        markLine: {
          silent: true,
          symbol: 'none',
          // No halo: svg-to-pdfkit ignores paint-order, and would draw the white outline over the text.
          label: {
            fontSize: 7,
            position: 'insideEndTop',
            formatter: '{b}',
            color: '#555555',
            textBorderWidth: 0,
            textBorderColor: 'transparent',
          },
          data: chart.limits.map((l) => ({
            name: `${l.boundaryId} ${l.limitC}`,
            yAxis: l.limitC,
            lineStyle: {
              color: l.severity === 'critical' ? COLOURS.critical : COLOURS.warning,
              type: 'dashed',
              width: 0.8,
            },
          })),
        },
      },
      area(labels.range, COLOURS.range, [
        [{ yAxis: low }, { yAxis: high }],
        ...(chart.targetC === null
          ? []
          : [
              [
                { yAxis: chart.targetC.lowC ?? minC, itemStyle: { color: COLOURS.target } },
                { yAxis: chart.targetC.highC ?? maxC },
              ],
            ]),
      ]),
      area(
        labels.excursion,
        COLOURS.excursion,
        chart.excursions.map((e) => span(e.startMs, e.endMs)),
      ),
      area(
        labels.door,
        COLOURS.door,
        chart.doorOpen.map((d) => span(d.startMs, d.endMs)),
      ),
      {
        name: labels.handover,
        type: 'line',
        data: [],
        itemStyle: { color: COLOURS.handover },
        markLine: {
          silent: true,
          symbol: 'none',
          lineStyle: { color: COLOURS.handover, type: 'solid', width: 1 },
          label: {
            fontSize: 7,
            position: 'end',
            formatter: '{b}',
            color: COLOURS.handover,
            textBorderWidth: 0,
          },
          data: chart.handovers.map((h) => ({ name: h.holder, xAxis: at(h.tsMs) })),
        },
      },
      area(
        labels.settle,
        COLOURS.settle,
        chart.settle.map((s) => span(s.startMs, s.endMs)),
      ),
      area(
        labels.gap,
        COLOURS.gap,
        chart.gaps.map((s) => span(s.startMs, s.endMs)),
      ),
    ],
  });
  const svg = instance.renderToSVGString();
  instance.dispose();
  return svg;
}

/** A series with no line of its own, carrying shaded areas under a legend entry. */
function area(name: string, color: string, data: unknown[]) {
  return {
    name,
    type: 'line',
    data: [],
    itemStyle: { color },
    markArea: { silent: true, itemStyle: { color }, data },
  };
}

/** The value axis: every reading and every limit in view, with a margin, on whole degrees. */
function valueExtent(chart: ReportChart): { minC: number; maxC: number } {
  const values = [
    ...chart.limits.map((l) => l.limitC),
    ...[chart.rangeC.lowC, chart.rangeC.highC].filter((v): v is number => v !== null),
  ];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  for (const p of chart.points) {
    if (p.tempC < min) min = p.tempC;
    if (p.tempC > max) max = p.tempC;
  }
  if (!Number.isFinite(min)) return { minC: 0, maxC: 10 };
  return { minC: Math.floor(min - 1), maxC: Math.ceil(max + 1) };
}
