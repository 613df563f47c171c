import { describe, expect, it } from 'vitest';
import { parseStatus } from './status.js';

describe('parseStatus', () => {
  it.each(['online', 'offline'] as const)('reads %s as a string or as bytes', (status) => {
    expect(parseStatus(status)).toEqual({ ok: true, value: status });
    expect(parseStatus(Buffer.from(status))).toEqual({ ok: true, value: status });
  });

  it.each([
    ['an empty payload, which clears a retained message', '', '""'],
    ['another word', 'ONLINE', '"ONLINE"'],
    ['a status with whitespace', 'online\n', '"online\\n"'],
    ['a JSON-quoted status', '"online"', '"\\"online\\""'],
    ['a long payload, left undecoded', Buffer.alloc(1000), '1000 bytes'],
    ['a value that is not text', 42, '42'],
  ])('rejects %s', (_case, payload, received) => {
    expect(parseStatus(payload)).toEqual({
      ok: false,
      problems: [
        {
          code: 'invalid_status',
          path: '',
          expected: '"online" or "offline"',
          received,
          message: `payload: expected "online" or "offline", received ${received}`,
        },
      ],
    });
  });
});
