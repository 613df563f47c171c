import { expect } from 'vitest';
import { MAX_PROBLEMS } from './limits.js';
import { type ParseResult, PROBLEM_CODES, type Problem } from './problem.js';

/** Test helper: the problems of a result that must be a refusal. */
export function problemsOf<T>(result: ParseResult<T>): Problem[] {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
  return result.problems;
}

/** Test helper: what every answer must look like, whatever the input: accepted, or refused with well-formed problems. */
export function expectWellFormed<T>(result: ParseResult<T>): void {
  if (result.ok) return;
  expect(result.problems.length).toBeGreaterThan(0);
  expect(result.problems.length).toBeLessThanOrEqual(MAX_PROBLEMS);
  for (const problem of result.problems) {
    expect(PROBLEM_CODES).toContain(problem.code);
    // Every `expected` is ours, none a zod default ("Invalid input: ...", "Too big: ...").
    expect(problem.expected).not.toMatch(/^(Invalid|Too |Unrecognized)/);
    expect(problem.message).toContain(problem.received);
  }
}
