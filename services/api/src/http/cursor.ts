import type { z } from 'zod';
import { badField } from './api-error.js';

/** A keyset position as an opaque `nextCursor`: base64url of its JSON. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position a cursor carries; one that was not ours, or is damaged, is a 400 on `query.cursor`. */
export function decodeCursor<T extends z.ZodType>(cursor: string, schema: T): z.infer<T> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw badField('query.cursor', 'not a cursor this API issued');
  }
  return parsed.data;
}
