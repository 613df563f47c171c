import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createInflowGate, type Pausable } from './inflow-gate.js';

const client = () => {
  const c = { paused: false, pauses: 0, pause: () => {}, resume: () => {} };
  c.pause = () => {
    c.paused = true;
    c.pauses++;
  };
  c.resume = () => {
    c.paused = false;
  };
  return c;
};

describe('inflow gate', () => {
  it('lets messages through below the high-water mark', () => {
    const gate = createInflowGate({ backlog: () => 9, highWater: 10, lowWater: 5 });
    const a = client();
    gate.admit(a);
    expect(a.paused).toBe(false);
    expect(gate.held()).toBe(0);
    gate.close();
  });

  it('pauses senders at the high-water mark and resumes them all at the low-water mark', async () => {
    let backlog = 10;
    const gate = createInflowGate({ backlog: () => backlog, highWater: 10, lowWater: 5, checkEveryMs: 1 });
    const a = client();
    const b = client();
    gate.admit(a);
    gate.admit(b);
    gate.admit(a);
    expect([a.paused, b.paused, a.pauses, gate.held()]).toEqual([true, true, 1, 2]);
    backlog = 6;
    await sleep(10);
    expect([a.paused, b.paused]).toEqual([true, true]);
    backlog = 5;
    await sleep(10);
    expect([a.paused, b.paused, gate.held()]).toEqual([false, false, 0]);
    gate.close();
  });

  it('does not resume a client that went away', async () => {
    let backlog = 10;
    const gate = createInflowGate({ backlog: () => backlog, highWater: 10, lowWater: 5, checkEveryMs: 1 });
    const gone: Pausable & { paused: boolean } = client();
    gate.admit(gone);
    gate.forget(gone);
    backlog = 0;
    await sleep(10);
    expect(gone.paused).toBe(true);
    gate.close();
  });
});
