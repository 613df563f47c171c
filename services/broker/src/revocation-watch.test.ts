import { createSqliteStore } from '@coldchain/store';
import { describe, expect, it } from 'vitest';
import { type DeviceChange, watchDeviceChanges } from './revocation-watch.js';

describe('watchDeviceChanges', () => {
  it('reports each change once, including one in the same millisecond as the last poll', async () => {
    let clock = 1_000;
    const store = createSqliteStore({ file: ':memory:', now: () => clock });
    for (const id of ['a', 'b', 'c', 'd']) await store.provisionDevice({ id });
    clock = 1_500;
    await store.setDeviceDisabled('a', true); // before the watch starts: not reported
    clock = 2_000;
    const seen: DeviceChange[] = [];
    const watch = watchDeviceChanges({
      store,
      startMs: 2_000,
      pollMs: 60_000,
      onChange: (c) => seen.push(c),
      onError: (err) => {
        throw err;
      },
    });
    await store.setDeviceDisabled('b', true);
    await watch.poll();
    await watch.poll();
    expect(seen.map((c) => [c.id, c.disabled, c.changedAtMs])).toEqual([['b', true, 2_000]]);
    // Another change in that same millisecond, then a later one.
    await store.rotateDeviceSecret('c');
    await watch.poll();
    clock = 2_001;
    await store.setDeviceDisabled('b', false);
    clock = 2_500;
    await store.setDeviceDisabled('d', true);
    await watch.poll();
    await watch.poll();
    expect(seen.map((c) => [c.id, c.disabled, c.changedAtMs])).toEqual([
      ['b', true, 2_000],
      ['c', false, 2_000],
      ['b', false, 2_001],
      ['d', true, 2_500],
    ]);
    watch.stop();
    await store.close();
  });
});
