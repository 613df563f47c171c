import { zoneOffsetMs } from '@coldchain/influx';
import type { ReportLang } from './report-labels.js';

/** How a report states instants, durations and values for one reader: their language and time zone. */
export interface ReportFormat {
  /** `2026-06-01 16:00` in the reader's zone (seconds shown when not zero). */
  local(ms: number): string;
  /** `2026-06-01 08:00Z`. */
  utc(ms: number): string;
  /**
   * The local time, then the UTC time on a second line (its date only where it differs from the local date):
   * the form every table of the HTML and PDF uses.
   */
  instant(ms: number | null): string;
  /** The same on one line: `2026-06-01 08:00 (UTC 00:00Z)`. */
  inline(ms: number | null): string;
  duration(ms: number | null): string;
  /** °C, at most two decimals: a reading of 5.1 stays 5.1 rather than becoming 5.10. */
  tempC(value: number | null): string;
  pct(value: number | null): string;
  /** A bare number, at most two decimals. */
  number(value: number | null): string;
}

/** What an absent value is shown as (never an empty cell, which a reader could take for a rendering fault). */
export const NO_VALUE = '—';

const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD HH:mm[:ss]` of a wall-clock millisecond value read as UTC. */
function wallClock(ms: number): string {
  const d = new Date(ms);
  const seconds = d.getUTCSeconds();
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds === 0 ? '' : `:${pad(seconds)}`}`
  );
}

export const trimmed = (value: number) => String(Number(value.toFixed(2)));

const UNITS: Record<ReportLang, { d: string; h: string; min: string; s: string; sep: string }> = {
  'zh-CN': { d: '天', h: '小时', min: '分', s: '秒', sep: '' },
  en: { d: ' d', h: ' h', min: ' min', s: ' s', sep: ' ' },
};

/** `2 h 05 min`, `3 d 4 h`, `45 s`: the two largest units, which is all a reader compares at a glance. */
function formatDuration(ms: number, lang: ReportLang): string {
  const u = UNITS[lang];
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds === 0) return `0${u.min}`;
  if (totalSeconds < 60) return `${totalSeconds}${u.s}`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  if (days > 0) return hours === 0 ? `${days}${u.d}` : `${days}${u.d}${u.sep}${hours}${u.h}`;
  if (hours > 0) return minutes === 0 ? `${hours}${u.h}` : `${hours}${u.h}${u.sep}${pad(minutes)}${u.min}`;
  const seconds = totalSeconds % 60;
  return seconds === 0 ? `${minutes}${u.min}` : `${minutes}${u.min}${u.sep}${pad(seconds)}${u.s}`;
}

export function reportFormat(lang: ReportLang, timeZone: string): ReportFormat {
  const local = (ms: number) => wallClock(ms + zoneOffsetMs(ms, timeZone));
  const utc = (ms: number) => `${wallClock(ms)}Z`;
  const shortUtc = (ms: number) => {
    const l = local(ms);
    const u = utc(ms);
    return l.slice(0, 10) === u.slice(0, 10) ? u.slice(11) : u;
  };
  return {
    local,
    utc,
    instant: (ms) => (ms === null ? NO_VALUE : `${local(ms)}\nUTC ${shortUtc(ms)}`),
    inline: (ms) => (ms === null ? NO_VALUE : `${local(ms)} (UTC ${shortUtc(ms)})`),
    duration: (ms) => (ms === null ? NO_VALUE : formatDuration(ms, lang)),
    tempC: (value) => (value === null ? NO_VALUE : `${trimmed(value)} °C`),
    pct: (value) => (value === null ? NO_VALUE : `${trimmed(value)} %`),
    number: (value) => (value === null ? NO_VALUE : trimmed(value)),
  };
}
