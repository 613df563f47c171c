import type { z } from 'zod';
import { isOneOf } from './is-one-of.js';
import {
  createProblem,
  describeValue,
  formatPath,
  PROBLEM_CODES,
  type Problem,
  unknownFieldProblem,
} from './problem.js';

/**
 * Turns zod issues into problems. Every schema in this package states what it expects as its error
 * message, so the issue's message is the `expected` half; the `received` half comes from the issue's
 * input, which needs `safeParse(value, { reportInput: true })`. `basePath` locates the parsed value
 * within the message.
 */
export function problemsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  basePath: readonly PropertyKey[] = [],
): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = formatPath([...basePath, ...issue.path]);
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) =>
          unknownFieldProblem(formatPath([...basePath, ...issue.path, key]), issue.input?.[key]),
        );
      case 'invalid_key':
        // A bad key of a record (a sensor name): the key schema's message says what a key must look like.
        return [problem('invalid_field', path, issue.issues[0]?.message ?? issue.message, issue.input)];
      case 'invalid_union': {
        // A discriminated union reports the whole object; what was wrong is its discriminator.
        const { discriminator, input } = issue;
        const value = discriminator !== undefined && isObject(input) ? input[discriminator] : input;
        return [problem(value === undefined ? 'missing_field' : 'invalid_field', path, issue.message, value)];
      }
      case 'custom': {
        const code = isOneOf(PROBLEM_CODES, issue.params?.code) ? issue.params.code : 'invalid_field';
        const received = issue.params?.received;
        return [
          typeof received === 'string'
            ? createProblem(code, path, issue.message, received)
            : problem(code, path, issue.message, issue.input),
        ];
      }
      default:
        return [
          problem(
            issue.input === undefined ? 'missing_field' : 'invalid_field',
            path,
            issue.message,
            issue.input,
          ),
        ];
    }
  });
}

function problem(code: Problem['code'], path: string, expected: string, value: unknown): Problem {
  return createProblem(code, path, expected, describeValue(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
