import type { ZodError } from 'zod';
import { ApiError } from './api-error.js';

/** Hono's name of what was validated, as our paths name it (`query.from`, `body.holder`). */
const TARGET_NAMES: Record<string, string> = {
  json: 'body',
  query: 'query',
  param: 'param',
  header: 'header',
};

/** A failed zod validation as our 400: every issue with the path of its field. */
export function validationError(target: string, error: ZodError): ApiError {
  const where = TARGET_NAMES[target] ?? target;
  const issues = error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  const first = issues[0];
  return new ApiError('validation_failed', first ? `${first.path}: ${first.message}` : `invalid ${where}`, {
    issues,
  });
}
