import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBrokerContext } from './hooks/broker-context.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split('\n')) if (text) lines.push(JSON.parse(text));
      done();
    },
  });
  return { lines, log: pino({ level: 'info' }, sink) };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the refusal log', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] }));
  afterEach(() => vi.useRealTimers());

  it('logs the first refusals of a client one by one, then a summary per interval; counts stay exact', async () => {
    const { lines, log } = capture();
    const ctx = createBrokerContext(log, Date.now, { linesPerClient: 3, intervalMs: 10_000 });
    for (let i = 0; i < 5_000; i++)
      ctx.refuse('subscribe_denied', { clientId: 'truck-7', filter: `f/${i}` }, 'not your topic');
    ctx.refuse('subscribe_denied', { clientId: 'cab-1', filter: '#' }, 'not your topic');
    await settle();
    expect(lines.map((l) => l.filter)).toEqual(['f/0', 'f/1', 'f/2', '#']);
    vi.advanceTimersByTime(10_000);
    await settle();
    expect(lines).toHaveLength(5);
    expect(lines[4]).toMatchObject({
      reason: 'subscribe_denied',
      suppressed: 4_997,
      clients: 1,
      top: [{ client: 'truck-7', count: 4_997 }],
    });
    expect(ctx.refusals.subscribe_denied).toBe(5_001);

    // Still refused in the next interval: nothing more one by one, one summary.
    for (let i = 0; i < 10; i++) ctx.refuse('subscribe_denied', { clientId: 'truck-7' }, 'not your topic');
    vi.advanceTimersByTime(10_000);
    await settle();
    expect(lines).toHaveLength(6);
    expect(lines[5]).toMatchObject({ suppressed: 10 });
    // A whole quiet interval: the client is forgotten, and logs in full again.
    vi.advanceTimersByTime(20_000);
    ctx.refuse('subscribe_denied', { clientId: 'truck-7', filter: 'again' }, 'not your topic');
    await settle();
    expect(lines.at(-1)).toMatchObject({ filter: 'again' });
    ctx.close();
  });

  it('bounds the lines of an interval over all clients, by address when there is no client id', async () => {
    const { lines, log } = capture();
    const ctx = createBrokerContext(log, Date.now, { maxLinesPerInterval: 50, intervalMs: 1_000 });
    for (let i = 0; i < 5_000; i++)
      ctx.refuse('bad_credentials', { clientId: `unknown-${i}` }, 'bad username or password');
    for (let i = 0; i < 100; i++)
      ctx.refuse('too_many_connections_from_address', { remote: '10.0.0.9' }, 'cap');
    ctx.close();
    ctx.close();
    await settle();
    expect(lines).toHaveLength(52);
    expect(lines[50]).toMatchObject({ reason: 'bad_credentials', suppressed: 4_950, clients: 4_950 });
    expect(lines[51]).toMatchObject({
      reason: 'too_many_connections_from_address',
      suppressed: 100,
      top: [{ client: '10.0.0.9', count: 100 }],
    });
    expect(ctx.refusals).toEqual({ bad_credentials: 5_000, too_many_connections_from_address: 100 });
  });
});
