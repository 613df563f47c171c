import { MAX_PROBLEMS } from './limits.js';

/** Why a message was refused: one stable code per category, so the ingest can count dead letters by reason. */
export const PROBLEM_CODES = [
  'payload_too_large',
  'malformed_json',
  'too_deeply_nested',
  'forbidden_key',
  'not_an_object',
  'unsupported_version',
  'missing_field',
  'unknown_field',
  'invalid_field',
  'no_measurement',
  'too_many_readings',
  'too_many_events',
  'timestamp_out_of_range',
  'invalid_status',
] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** One thing wrong with a message, e.g. `readings[3].temp.air: expected a number between -100 and 100, received 412`. */
export interface Problem {
  code: ProblemCode;
  /** Where in the message, e.g. `readings[3].temp.air`; empty for the payload as a whole. */
  path: string;
  expected: string;
  received: string;
  /** The whole problem in one human-readable line. */
  message: string;
}

/** The outcome of parsing an untrusted payload: a value to trust, or the problems that refused it. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

export function createProblem(
  code: ProblemCode,
  path: string,
  expected: string,
  received: string,
  message = `${path || 'payload'}: expected ${expected}, received ${received}`,
): Problem {
  return { code, path, expected, received, message };
}

/** A field the schema does not know. Refused rather than dropped: silently losing data is worse. */
export function unknownFieldProblem(path: string, value: unknown): Problem {
  const received = describeValue(value);
  return createProblem(
    'unknown_field',
    path,
    'no such field',
    received,
    `${path}: unknown field (received ${received})`,
  );
}

/** Refuses a message with at most MAX_PROBLEMS problems. */
export function reject<T>(problems: Problem[]): ParseResult<T> {
  return { ok: false, problems: problems.slice(0, MAX_PROBLEMS) };
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['readings', 3, 'temp', 'air']` → `readings[3].temp.air`; odd keys are quoted: `temp["Air!"]`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (typeof segment === 'string' && isShortIdentifier(segment))
      path += path ? `.${segment}` : segment;
    else path += `[${quote(String(segment))}]`;
  }
  return path;
}

/** A short description of a value as received, never its whole (possibly huge) content. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `an array of ${value.length} ${value.length === 1 ? 'item' : 'items'}`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const MAX_QUOTED_LENGTH = 40;

function isShortIdentifier(key: string): boolean {
  return key.length <= MAX_QUOTED_LENGTH && IDENTIFIER.test(key);
}

function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED_LENGTH ? `${text.slice(0, MAX_QUOTED_LENGTH)}…` : text);
}
