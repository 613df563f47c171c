import { lang } from './i18n.js';

/** Times are shown in China Standard Time, as our reports print them, with the zone said. */
const TIME_ZONE = 'Asia/Shanghai';

// `|| 0`: a value that rounds to zero from below reads 0.0, not -0.0.
const number = (value: number, digits: number) =>
  new Intl.NumberFormat(lang(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
    Math.round(value * 10 ** digits) / 10 ** digits || 0,
  );

export const formatTemp = (c: number | null | undefined) => (c == null ? '—' : `${number(c, 1)} °C`);
export const formatPct = (p: number | null | undefined, digits = 0) =>
  p == null ? '—' : `${number(p, digits)} %`;
export const formatCount = (n: number) => new Intl.NumberFormat(lang()).format(n);

const DAY_AND_MINUTE = {
  timeZone: TIME_ZONE,
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
} as const;

/** `2026/12/01 08:30`: an instant in full. */
export function formatTime(ms: number | null | undefined): string {
  if (ms == null) return '—';
  return new Intl.DateTimeFormat(lang(), { ...DAY_AND_MINUTE, year: 'numeric' }).format(ms);
}

/** `12/01 08:30`: an axis label, the year understood. */
export const formatTimeShort = (ms: number) => new Intl.DateTimeFormat(lang(), DAY_AND_MINUTE).format(ms);

/** `2 h 15 min` / `2小时15分钟`: the two largest units, as an operator reads a duration. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null) return '—';
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const unit = (value: number, u: 'day' | 'hour' | 'minute') =>
    new Intl.NumberFormat(lang(), { style: 'unit', unit: u, unitDisplay: 'short' }).format(value);
  if (d > 0) return `${unit(d, 'day')} ${unit(h, 'hour')}`;
  if (h > 0) return `${unit(h, 'hour')} ${unit(m, 'minute')}`;
  return unit(m, 'minute');
}
