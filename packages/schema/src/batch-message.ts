import { z } from 'zod';
import { readJsonPayload } from './json-payload.js';
import { WIRE_VERSION } from './limits.js';
import {
  createProblem,
  describeValue,
  formatPath,
  type ParseResult,
  type Problem,
  type ProblemCode,
  reject,
  unknownFieldProblem,
} from './problem.js';
import { checkTimestampWindow } from './timestamp.js';
import { problemsFromIssues } from './zod-problems.js';

/** What a versioned message of timestamped items looks like: readings in telemetry, events in events. */
export interface BatchSpec<Item extends { tsMs: number }, Wire = Item> {
  /** Key of the array in the batch form, e.g. `readings`. */
  itemsKey: string;
  maxItems: number;
  tooManyCode: ProblemCode;
  itemSchema: z.ZodType<Wire>;
  /**
   * Turns a validated wire item into the item, after the whole message is valid; absent when the
   * schema's output is the item already. A plain function, not a zod transform, for the hot path.
   */
  toItem?: (wire: Wire) => Item;
}

/** The ingest clock, passed in: this package never reads the time itself. */
export interface ParseOptions {
  nowMs: number;
}

/** Parses an untrusted payload into its items; never throws. */
export type BatchParser<Item> = (payload: unknown, nowMs: number) => ParseResult<Item[]>;

/**
 * Builds the parser for one message kind. A message comes in two forms, both normalised to a list:
 * a batch `{"v":1,"<itemsKey>":[item, ...]}` (a store-and-forward backlog), or a single item with the
 * version beside its fields, `{"v":1,"ts":...,...}`. The form is told by the presence of `itemsKey`.
 *
 * Checks run cheapest first, and the first failing stage answers: payload size and JSON (see
 * readJsonPayload), object, version, batch size, fields, then event times against `nowMs`.
 */
export function createBatchParser<Item extends { tsMs: number }, Wire = Item>(
  spec: BatchSpec<Item, Wire>,
): BatchParser<Item> {
  const itemsError = `an array of 1 to ${spec.maxItems} ${spec.itemsKey}`;
  // Compiled by zod itself (`z.compile`): a generated fast path for valid messages, and zod's own
  // parser for any other, so the problems reported are the parser's. On this machine it halved the
  // CPU of validating a reading.
  const batchSchema = z.compile(
    z.array(spec.itemSchema, { error: itemsError }).min(1, { error: itemsError }),
  );
  const singleSchema = z.compile(spec.itemSchema);
  const toItems = (wire: Wire[]): Item[] =>
    spec.toItem ? wire.map(spec.toItem) : (wire as unknown as Item[]);

  function parse(payload: unknown, nowMs: number): ParseResult<Item[]> {
    const read = readJsonPayload(payload);
    if (!read.ok) return read;
    const message = read.value;
    if (!isPlainObject(message)) {
      return reject([createProblem('not_an_object', '', 'a JSON object', describeValue(message))]);
    }
    if (message.v !== WIRE_VERSION) {
      return reject([
        createProblem('unsupported_version', 'v', String(WIRE_VERSION), describeValue(message.v)),
      ]);
    }

    const isBatch = Object.hasOwn(message, spec.itemsKey);
    const items = message[spec.itemsKey];
    if (Array.isArray(items) && items.length > spec.maxItems) {
      const expected = `at most ${spec.maxItems} ${spec.itemsKey}`;
      return reject([
        createProblem(spec.tooManyCode, spec.itemsKey, expected, `${items.length} ${spec.itemsKey}`),
      ]);
    }

    const { v: _version, ...fields } = message;
    // The single form is the item itself: parsed as one, and made a list of one here (not with a
    // zod transform, which costs as much again as the checks).
    const parsed = isBatch
      ? batchSchema.safeParse(items, { reportInput: true })
      : singleSchema.safeParse(fields, { reportInput: true });
    const unknownTopLevel = isBatch
      ? Object.keys(fields)
          .filter((key) => key !== spec.itemsKey)
          .map((key) => unknownFieldProblem(formatPath([key]), fields[key]))
      : [];
    if (!parsed.success || unknownTopLevel.length > 0) {
      const fieldProblems = parsed.success
        ? []
        : problemsFromIssues(parsed.error.issues, isBatch ? [spec.itemsKey] : []);
      return reject([...unknownTopLevel, ...fieldProblems]);
    }
    const data = toItems(isBatch ? (parsed.data as Wire[]) : [parsed.data as Wire]);

    const outOfWindow: Problem[] = [];
    for (let index = 0; index < data.length; index++) {
      const problem = checkTimestampWindow((data[index] as Item).tsMs, nowMs, () =>
        formatPath(isBatch ? [spec.itemsKey, index, 'ts'] : ['ts']),
      );
      if (problem) outOfWindow.push(problem);
    }
    return outOfWindow.length > 0 ? reject(outOfWindow) : { ok: true, value: data };
  }

  return (payload, nowMs) => {
    try {
      return parse(payload, nowMs);
    } catch (err) {
      // Reached only by values handed in already parsed whose getters or proxies throw; bytes and strings
      // are plain JSON by then. Keeps the promise that a parser never throws.
      const received = `a value that threw when read (${err instanceof Error ? err.name : typeof err})`;
      return reject([createProblem('malformed_json', '', 'a plain JSON value', received)]);
    }
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
