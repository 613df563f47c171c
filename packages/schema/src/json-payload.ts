import { MAX_JSON_DEPTH, MAX_PAYLOAD_BYTES } from './limits.js';
import { createProblem, formatPath, type ParseResult, type Problem, reject } from './problem.js';

/**
 * Keys that reach an object's prototype when a careless consumer copies them (`target[key] = value`).
 * `JSON.parse` makes them plain own properties, but zod's records silently drop `__proto__`: refusing
 * them here keeps them out of every later stage and names the attempt.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads an MQTT payload as JSON: bytes (a Buffer is a Uint8Array) and strings are size-checked before
 * `JSON.parse`; any other value is taken as JSON already parsed by the caller. Either way the result is
 * bounded in depth and free of prototype keys.
 */
export function readJsonPayload(payload: unknown): ParseResult<unknown> {
  const decoded = decode(payload);
  if (!decoded.ok) return decoded;
  const problem = checkShape(decoded.value);
  return problem ? reject([problem]) : decoded;
}

function decode(payload: unknown): ParseResult<unknown> {
  if (payload instanceof Uint8Array) {
    if (payload.byteLength > MAX_PAYLOAD_BYTES) return tooLarge(`${payload.byteLength} bytes`);
    let text: string;
    try {
      text = utf8.decode(payload);
    } catch {
      return reject([
        createProblem('malformed_json', '', 'UTF-8 encoded JSON', 'bytes that are not valid UTF-8'),
      ]);
    }
    return parseJson(text);
  }
  if (typeof payload === 'string') {
    // A UTF-16 code unit takes at least one UTF-8 byte, so a string longer than the limit is too large.
    if (payload.length > MAX_PAYLOAD_BYTES) return tooLarge(`more than ${MAX_PAYLOAD_BYTES} bytes`);
    const bytes = utf8ByteLength(payload);
    if (bytes > MAX_PAYLOAD_BYTES) return tooLarge(`${bytes} bytes`);
    return parseJson(payload);
  }
  return { ok: true, value: payload };
}

function tooLarge(received: string): ParseResult<never> {
  return reject([createProblem('payload_too_large', '', `at most ${MAX_PAYLOAD_BYTES} bytes`, received)]);
}

function parseJson(text: string): ParseResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const reason = err instanceof Error ? err.message.slice(0, 120) : 'unparseable text';
    return reject([createProblem('malformed_json', '', 'a JSON document', `invalid JSON (${reason})`)]);
  }
}

/** Counts bytes as `TextEncoder` would write them (a lone surrogate becomes 3-byte U+FFFD), without copying. */
function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    bytes += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/**
 * Walks the value without recursion, so neither depth nor a cycle (in a caller's object) can blow the stack.
 * Only objects and arrays go on the stack, each with its path: the keys of an object are checked where it
 * is, and primitives need nothing more (a path per value cost more than parsing the JSON).
 */
function checkShape(root: unknown): Problem | null {
  const pending: { value: object; path: PropertyKey[] }[] = [];
  if (typeof root === 'object' && root !== null) pending.push({ value: root, path: [] });
  while (pending.length > 0) {
    // Depth first, so that a cycle is caught after MAX_JSON_DEPTH steps, however wide the object.
    const { value, path } = pending.pop()!;
    if (path.length >= MAX_JSON_DEPTH) {
      return createProblem(
        'too_deeply_nested',
        formatPath(path),
        `at most ${MAX_JSON_DEPTH} levels of nested objects and arrays`,
        'deeper nesting',
      );
    }
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        const item: unknown = value[index];
        if (typeof item === 'object' && item !== null) pending.push({ value: item, path: [...path, index] });
      }
      continue;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (FORBIDDEN_KEYS.has(key)) {
        const keyPath = formatPath([...path, key]);
        return createProblem('forbidden_key', keyPath, 'no prototype keys', JSON.stringify(key));
      }
      const item = record[key];
      if (typeof item === 'object' && item !== null) pending.push({ value: item, path: [...path, key] });
    }
  }
  return null;
}
