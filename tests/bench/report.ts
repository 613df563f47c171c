/** The side-by-side table and the goals. */

export interface Row {
  metric: string;
  coldchain: number | undefined;
  mosquitto: number | undefined;
  /** Digits after the decimal point. */
  digits?: number;
}

const number = (value: number | undefined, digits = 0) =>
  value === undefined || Number.isNaN(value)
    ? 'n/a'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** `coldchain / mosquitto`, or n/a when either is missing or the divisor is zero. */
export function ratio(coldchain: number | undefined, mosquitto: number | undefined): number | undefined {
  return coldchain === undefined || mosquitto === undefined || mosquitto === 0
    ? undefined
    : coldchain / mosquitto;
}

export function formatTable(rows: Row[], mosquittoLabel: string): string {
  const header = ['metric', 'coldchain (Aedes)', mosquittoLabel, 'ratio'];
  const cells = rows.map((r) => {
    const q = ratio(r.coldchain, r.mosquitto);
    return [
      r.metric,
      number(r.coldchain, r.digits),
      number(r.mosquitto, r.digits),
      q === undefined ? 'n/a' : `${number(q, 2)}×`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n');
}

export function goalLine(goal: string, met: boolean | undefined, measured: string): string {
  const verdict = met === undefined ? 'NOT MEASURED' : met ? 'MET' : 'NOT MET';
  return `  ${goal}: ${measured} → ${verdict}`;
}

/** A row of a table with any number of columns (undefined: not measured). */
export interface ColumnRow {
  metric: string;
  values: Array<number | undefined>;
  digits?: number;
}

/**
 * A table of several columns side by side, then ratios between pairs of them:
 * `ratios: [{ label: 'ours / Telegraf', of: [0, 2] }]` adds `values[0] / values[2]`.
 */
export function formatColumns(
  rows: ColumnRow[],
  labels: string[],
  ratios: Array<{ label: string; of: [number, number] }>,
): string {
  const header = ['metric', ...labels, ...ratios.map((r) => r.label)];
  const cells = rows.map((r) => [
    r.metric,
    ...labels.map((_, i) => number(r.values[i], r.digits)),
    ...ratios.map(({ of: [a, b] }) => {
      const q = ratio(r.values[a], r.values[b]);
      return q === undefined ? 'n/a' : `${number(q, 2)}×`;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n');
}
