import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { renderReportCsv } from './report-csv.js';
import { sampleReport } from './sample-report.js';

type Row = (string | number)[];

/** The CSV's sections by id, each its header row and data rows, as a reader of the format would split it. */
function sections(csv: string): Map<string, { header: Row; rows: Row[] }> {
  const records: Row[] = parse(csv, {
    bom: true,
    cast: true,
    relax_column_count: true,
    skip_empty_lines: true,
  });
  const byId = new Map<string, { header: Row; rows: Row[] }>();
  for (const record of records) {
    const id = String(record[0]);
    const section = byId.get(id);
    if (section === undefined) byId.set(id, { header: record.slice(1), rows: [] });
    else section.rows.push(record.slice(1));
  }
  return byId;
}

const column = (s: { header: Row; rows: Row[] }, name: string) => {
  const i = s.header.indexOf(name);
  expect(i, `column ${name}`).toBeGreaterThanOrEqual(0);
  return s.rows.map((r) => r[i]);
};

describe('renderReportCsv', () => {
  const report = sampleReport();

  it('parses back to the numbers of the report', () => {
    const s = sections(renderReportCsv(report, { lang: 'en' }));
    const sensors = s.get('sensors');
    if (sensors === undefined) throw new Error('no sensors section');
    expect(column(sensors, 'Sensor')).toEqual(report.sensors.map((x) => x.sensor));
    expect(column(sensors, 'MKT (°C)')).toEqual(report.sensors.map((x) => x.mktC));
    expect(column(sensors, 'Min')).toEqual(report.sensors.map((x) => x.min?.value));
    expect(column(sensors, 'Max')).toEqual(report.sensors.map((x) => x.max?.value));
    expect(column(sensors, 'Outside range (min)')).toEqual(
      report.sensors.map((x) => (x.timeOutsideRangeMs ?? 0) / 60_000),
    );

    const excursions = s.get('excursions');
    if (excursions === undefined) throw new Error('no excursions section');
    expect(column(excursions, 'Peak')).toEqual(report.excursions.map((e) => e.peak?.value ?? ''));
    expect(column(excursions, 'Duration (min)')).toEqual(
      report.excursions.map((e) => (e.durationMs ?? 0) / 60_000),
    );
    expect(column(excursions, 'Holder')).toEqual(report.excursions.map((e) => e.holder));
    expect(column(excursions, 'Acknowledgement note')[0]).toBe(
      report.excursions[0]?.alert?.acknowledgementNote,
    );

    const warnings = s.get('early_warnings');
    if (warnings === undefined) throw new Error('no early_warnings section');
    expect(column(warnings, 'code')).toEqual(report.earlyWarnings.map((w) => w.alertKey));
    expect(column(warnings, 'Air peak (°C)')).toEqual(report.earlyWarnings.map((w) => w.peak?.value));
    expect(column(warnings, 'Projected product breach (UTC)')).toEqual(
      report.earlyWarnings.map((w) => new Date(w.projectedBreachMs as number).toISOString()),
    );
    // Listed apart: no early warning among the excursions.
    expect(column(excursions, 'Rule')).not.toContain('early_warning');

    const gaps = s.get('gaps');
    if (gaps === undefined) throw new Error('no gaps section');
    expect(column(gaps, 'Start (UTC)')).toEqual(
      report.completeness.gaps.map((g) => new Date(g.startMs).toISOString()),
    );
    expect(column(gaps, 'Readings missing')).toEqual(report.completeness.gaps.map((g) => g.missingReadings));

    const verdict = s.get('verdict');
    expect(verdict?.rows[0]?.[2]).toBe('fail');
    expect(verdict?.rows.slice(1).map((r) => r[4])).toEqual(report.verdict.reasons.map((r) => r.alertKey));
  });

  it('gives every instant in the reader zone and in UTC', () => {
    const s = sections(renderReportCsv(report, { lang: 'en', timeZone: 'Asia/Shanghai' }));
    const excursions = s.get('excursions');
    if (excursions === undefined) throw new Error('no excursions section');
    expect(column(excursions, 'Start (Asia/Shanghai)')[0]).toBe('2026-06-01T11:20:00.000+08:00');
    expect(column(excursions, 'Start (UTC)')[0]).toBe('2026-06-01T03:20:00.000Z');
  });

  it('labels the columns in Chinese for zh-CN, with the same section ids', () => {
    const s = sections(renderReportCsv(report));
    expect([...s.keys()]).toEqual([...sections(renderReportCsv(report, { lang: 'en' })).keys()]);
    expect(s.get('sensors')?.header).toContain('传感器');
    expect(s.get('custody')?.rows.map((r) => r[1])).toEqual(report.custody.legs.map((l) => l.holder));
  });

  it('keeps one width per section and separates sections by a blank line, CRLF throughout', () => {
    const csv = renderReportCsv(report, { lang: 'en' });
    expect(csv.replaceAll('\r\n', '')).not.toContain('\n');
    const blocks = csv.replace(/^\uFEFF/, '').split('\r\n\r\n');
    expect(blocks.length).toBe(sections(csv).size);
    for (const block of blocks) {
      const records: Row[] = parse(block, { relax_column_count: true });
      expect(new Set(records.map((r) => r.length)).size).toBe(1);
    }
  });

  it('defuses a holder name a spreadsheet would run as a formula', () => {
    const hostile = sampleReport();
    const leg = hostile.custody.legs[0];
    if (leg === undefined) throw new Error('no leg');
    leg.holder = '=HYPERLINK("x")';
    const s = sections(renderReportCsv(hostile, { lang: 'en' }));
    expect(s.get('custody')?.rows[0]?.[1]).toBe(`'=HYPERLINK("x")`);
  });
});
