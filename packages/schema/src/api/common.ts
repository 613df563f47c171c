import { z } from 'zod';

/**
 * Stable error codes of the HTTP API, shared with the logs. A client may switch on them; they
 * never change meaning. The HTTP status of each is fixed (`API_ERROR_STATUS`).
 */
export const API_ERROR_CODES = [
  'validation_failed',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'custody_overlap',
  'alert_conflict',
  'rate_limited',
  'not_acceptable',
  'unavailable',
  'internal',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export const API_ERROR_STATUS: Readonly<
  Record<ApiErrorCode, 400 | 401 | 403 | 404 | 406 | 409 | 429 | 500 | 503>
> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  custody_overlap: 409,
  alert_conflict: 409,
  rate_limited: 429,
  not_acceptable: 406,
  unavailable: 503,
  internal: 500,
};

/** One problem with a request: where (`path`, e.g. `body.legs.0.fromMs`) and what. */
export const fieldIssueSchema = z
  .object({
    path: z.string().meta({ description: 'Where: `query.from`, `body.holder`, `param.id` …' }),
    message: z.string(),
  })
  .meta({ id: 'FieldIssue' });

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(API_ERROR_CODES).meta({ description: 'Stable code, also in the logs' }),
      message: z.string(),
      details: z
        .object({ issues: z.array(fieldIssueSchema).optional() })
        .catchall(z.unknown())
        .meta({ description: 'For `validation_failed`: every bad field with its path' }),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof errorBodySchema>;

/**
 * An instant in a query string or body: epoch milliseconds or an ISO 8601 date-time with an offset
 * (`2026-12-01T08:00:00+08:00`, `2026-12-01T00:00:00Z`), returned as epoch ms.
 */
export const instantSchema = z
  .union([
    z.number().int().min(0),
    z
      .string()
      .regex(/^\d+$/)
      .transform((s) => Number(s)),
    z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
  ])
  .meta({
    description: 'Epoch milliseconds, or ISO 8601 date-time with an offset or Z',
    example: '2026-12-01T08:00:00+08:00',
  });

/** A page size in a query string. */
export const limitSchema = z.coerce.number().int().min(1).max(1000).default(100);

/** An opaque continuation token; absent on the first page. */
export const cursorSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_-]+$/, 'an opaque cursor from nextCursor')
  .meta({ description: 'Opaque: pass `nextCursor` of the previous page' });

/** A page of results; `nextCursor` is null on the last page. */
export function pageSchema<T extends z.ZodType>(item: T, id: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id });
}

/** Text a person writes (a note, a comment): trimmed, not empty, bounded. */
export const noteSchema = z.string().trim().min(1).max(2000);

/** A name of a party (shipper, consignee, holder, operator). */
export const partyNameSchema = z.string().trim().min(1).max(200);

/** An IANA time zone, e.g. `Asia/Shanghai`. */
export const timeZoneSchema = z
  .string()
  .max(64)
  .refine(isTimeZone, 'an IANA time zone such as Asia/Shanghai or UTC')
  .meta({ example: 'Asia/Shanghai' });

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
