import { describe, expect, it } from 'vitest';
import { createSseParser } from './sse-parser.js';

describe('the alert stream parser', () => {
  it('gives each event with its id once its block is complete, however the chunks fall', () => {
    const stream =
      'event: alert.created\nid: 17-3\ndata: {"a":1}\n\n: heartbeat\n\nid: 18-4\ndata: {"a":2}\n\n';
    for (const size of [1, 2, 5, 7, stream.length]) {
      const parse = createSseParser();
      const events = [];
      for (let i = 0; i < stream.length; i += size) events.push(...parse(stream.slice(i, i + size)));
      expect(events).toEqual([
        { id: '17-3', event: 'alert.created', data: '{"a":1}' },
        { id: '18-4', event: null, data: '{"a":2}' },
      ]);
    }
  });

  it('reads CRLF and CR line ends, a CRLF split between chunks included, and joins data lines', () => {
    const parse = createSseParser();
    expect(parse('data: one\r')).toEqual([]);
    expect(parse('\ndata: two\r\n\r')).toEqual([{ id: null, event: null, data: 'one\ntwo' }]);
    expect(parse('\ndata: three\r\r')).toEqual([{ id: null, event: null, data: 'three' }]);
  });

  it('dispatches nothing for comments and blocks without data', () => {
    const parse = createSseParser();
    expect(parse(': Last-Event-ID is not an alert event id\n\nid: 5-1\n\n')).toEqual([]);
  });
});
