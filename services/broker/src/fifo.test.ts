import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEmitter } from './emitter.js';
import { Fifo } from './fifo.js';

describe('Fifo', () => {
  it('behaves as an array used with push and shift, across growth and wrap-around', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer(), fc.constant<'shift'>('shift')), { maxLength: 500 }),
        fc.integer({ min: 1, max: 8 }),
        (ops, capacity) => {
          const fifo = new Fifo<number>(capacity);
          const model: number[] = [];
          for (const op of ops) {
            if (op === 'shift') expect(fifo.shift()).toBe(model.shift());
            else expect(fifo.push(op)).toBe(model.push(op));
            expect(fifo.length).toBe(model.length);
          }
        },
      ),
    );
  });
});

describe('createEmitter', () => {
  it('routes every message in order when far more are emitted than it routes at once', async () => {
    const mq = createEmitter(4);
    const seen: number[] = [];
    const pending: Array<() => void> = [];
    // A slow subscriber: each message completes only when released, so the overflow queue fills.
    mq.on('t/+', (message, done) => {
      seen.push(message.n as number);
      pending.push(done);
    });
    const completed: number[] = [];
    for (let n = 0; n < 1000; n++) mq.emit({ topic: 't/x', n }, () => completed.push(n));
    expect(seen).toHaveLength(4);
    while (pending.length > 0) pending.shift()?.();
    expect(seen).toEqual([...Array(1000).keys()]);
    expect(completed).toEqual([...Array(1000).keys()]);
  });

  it('matches empty topic levels as MQTT requires', () => {
    const mq = createEmitter(10);
    const seen: string[] = [];
    mq.on('a/+/c', (m, done) => {
      seen.push(m.topic);
      done();
    });
    mq.emit({ topic: 'a//c' });
    expect(seen).toEqual(['a//c']);
  });
});
