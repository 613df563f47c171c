import { type HistoryPoint, type HistoryWindow, localIsoTime } from '@coldchain/influx';
import { stringify } from 'csv-stringify/sync';

export interface HistoryCsvOptions {
  /** IANA zone of the local-time columns (the times themselves are also given in UTC). */
  timeZone: string;
  /**
   * The sensors to give columns to, in this order (`rh` is humidity). Unset: every temperature sensor the
   * points have, by name. Name them when writing a history page by page, so that every page has the same
   * columns.
   */
  sensors?: readonly string[];
  /** Whether to start with the header row (default true); false for the pages after the first. */
  header?: boolean;
}

/**
 * RFC 4180: CRLF between records, and quotes around any field holding a comma, quote or line break. Text
 * that a spreadsheet would run as a formula (a holder's name starting with `=`, `+`, `-`, `@`) is
 * prefixed with `'`; numbers, negative temperatures included, are written as they are.
 */
const CSV_OPTIONS = {
  record_delimiter: 'windows',
  quote_record_delimiter: true,
  escape_formulas: true,
  cast: { boolean: (value: boolean) => String(value) },
} as const;

const unit = (sensor: string) => (sensor === 'rh' ? 'pct' : 'c');
const column = (sensor: string) => (sensor === 'rh' ? 'rh' : `temp_${sensor}`);

/**
 * A shipment's raw history, one row per point: `time_utc`, `time_local`, the leg, device and holder, a
 * column per temperature sensor (°C), humidity (%), door, position and battery (%). A value a point does
 * not have is an empty field.
 */
export function historyPointsCsv(points: readonly HistoryPoint[], options: HistoryCsvOptions): string {
  const all = options.sensors === undefined;
  const sensors = options.sensors ?? [...new Set(points.flatMap((p) => Object.keys(p.temp)))].sort();
  const temps = sensors.filter((s) => s !== 'rh');
  const withRh = all || sensors.includes('rh');
  const columns = [
    'time_utc',
    'time_local',
    'leg_id',
    'device_id',
    'holder',
    ...temps.map((s) => `${column(s)}_${unit(s)}`),
    ...(withRh ? ['rh_pct'] : []),
    ...(all ? ['door_open', 'lat', 'lon', 'battery_pct'] : []),
  ];
  const rows = points.map((p) => [
    new Date(p.tsMs).toISOString(),
    localIsoTime(p.tsMs, options.timeZone),
    p.legId,
    p.deviceId,
    p.holder,
    ...temps.map((s) => p.temp[s]),
    ...(withRh ? [p.rh] : []),
    ...(all ? [p.door, p.lat, p.lon, p.battery] : []),
  ]);
  return stringify(rows, { ...CSV_OPTIONS, header: options.header ?? true, columns });
}

/**
 * A shipment's windowed history, one row per window, empty windows included: its start and end in UTC
 * and local time, the reading count, and per sensor its count, minimum, mean and maximum (empty where
 * the sensor has no reading in the window).
 */
export function historyWindowsCsv(
  windows: readonly HistoryWindow[],
  options: Omit<HistoryCsvOptions, 'sensors'>,
): string {
  const sensors = Object.keys(windows[0]?.sensors ?? {});
  const columns = [
    'window_start_utc',
    'window_start_local',
    'window_end_utc',
    'window_end_local',
    'count',
    ...sensors.flatMap((s) => {
      const c = column(s);
      const u = unit(s);
      return [`${c}_count`, `${c}_min_${u}`, `${c}_mean_${u}`, `${c}_max_${u}`];
    }),
  ];
  const rows = windows.map((w) => [
    new Date(w.windowStart).toISOString(),
    localIsoTime(w.windowStart, options.timeZone),
    new Date(w.windowEnd).toISOString(),
    localIsoTime(w.windowEnd, options.timeZone),
    w.count,
    ...sensors.flatMap((s) => {
      const stats = w.sensors[s];
      return [stats?.count ?? 0, stats?.min, stats?.mean, stats?.max];
    }),
  ]);
  return stringify(rows, { ...CSV_OPTIONS, header: options.header ?? true, columns });
}
