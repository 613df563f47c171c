const OFFSET_PATTERN = /^([+-])(\d+(?:\.\d+)?)(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** RFC 3339: an ISO-8601 date-time with a `Z` or `±hh:mm` offset (a local time's zone would be a guess). */
const ISO_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Resolves a time written in seed data or configuration: an ISO-8601 time with a zone
 * (`2026-06-01T08:00:00Z`), or an offset from `nowMs` with a sign and a unit s, m, h or d (`-2h`,
 * `-90m`, `+1d`), so that demo shipments are always recent. Throws a RangeError naming the text otherwise.
 */
export function resolveSeedTime(text: string, nowMs: number): number {
  const offset = OFFSET_PATTERN.exec(text);
  if (offset) {
    const [, sign, amount, unit] = offset as unknown as [string, '+' | '-', string, keyof typeof UNIT_MS];
    return nowMs + (sign === '-' ? -1 : 1) * Math.round(Number(amount) * UNIT_MS[unit]);
  }
  const ms = ISO_PATTERN.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new RangeError(
      `"${text}" is neither an ISO-8601 time with a zone nor an offset like -2h, -90m, +1d`,
    );
  }
  return ms;
}
