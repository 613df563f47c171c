import { describe, expect, it } from 'vitest';
import { memoryPersistenceWithIndexedOutgoing } from './indexed-outgoing.js';

interface Store {
  outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: object): Promise<void>;
  outgoingUpdate(client: { id: string }, packet: object): Promise<void>;
  outgoingClearMessageId(
    client: { id: string },
    packet: { messageId: number },
  ): Promise<{ brokerCounter: number } | undefined>;
  outgoingStream(client: { id: string }): AsyncIterable<{ brokerCounter: number; messageId?: number }>;
}

const packet = (n: number) => ({
  cmd: 'publish',
  topic: 't',
  payload: Buffer.from(String(n)),
  qos: 1,
  brokerId: 'b',
  brokerCounter: n,
});
const drain = async (it: AsyncIterable<{ brokerCounter: number }>) => {
  const out: number[] = [];
  for await (const p of it) out.push(p.brokerCounter);
  return out;
};

describe('the indexed outgoing queue', () => {
  it('keeps delivery order, tracks message ids, and clears acknowledged packets', async () => {
    const store = memoryPersistenceWithIndexedOutgoing() as unknown as Store;
    const ingest = { id: 'ingest' };
    for (const n of [1, 2, 3])
      await store.outgoingEnqueueCombi([{ clientId: 'ingest' }, { clientId: 'other' }], packet(n));
    await store.outgoingUpdate(ingest, { ...packet(2), messageId: 7 });
    await store.outgoingUpdate(ingest, { ...packet(1), messageId: 8 });
    expect(await drain(store.outgoingStream(ingest))).toEqual([1, 2, 3]);
    expect((await store.outgoingClearMessageId(ingest, { messageId: 7 }))?.brokerCounter).toBe(2);
    expect(await store.outgoingClearMessageId(ingest, { messageId: 7 })).toBeUndefined();
    expect(await drain(store.outgoingStream(ingest))).toEqual([1, 3]);
    expect(await drain(store.outgoingStream({ id: 'other' }))).toEqual([1, 2, 3]);
    await expect(store.outgoingUpdate(ingest, { ...packet(9), messageId: 99 })).rejects.toThrow(
      /no such packet/,
    );
  });

  it("offers a disconnected client's messages past the bound to be parked, and queues what is declined", async () => {
    const persistence = memoryPersistenceWithIndexedOutgoing();
    const store = persistence as unknown as Store;
    const parked: Array<[string, number]> = [];
    let connected = false;
    persistence.setOverflow({
      maxQueued: 2,
      isConnected: () => connected,
      park: (clientId, p) => {
        parked.push([clientId, p.brokerCounter as number]);
        return p.brokerCounter !== 5;
      },
    });
    for (const n of [1, 2, 3, 4, 5]) await store.outgoingEnqueueCombi([{ clientId: 'ingest' }], packet(n));
    // 3 and 4 were parked; 5 was declined, so it is queued.
    expect(parked).toEqual([
      ['ingest', 3],
      ['ingest', 4],
      ['ingest', 5],
    ]);
    expect(await drain(store.outgoingStream({ id: 'ingest' }))).toEqual([1, 2, 5]);
    // A connected client's queue is never cut short.
    connected = true;
    await store.outgoingEnqueueCombi([{ clientId: 'ingest' }], packet(6));
    expect(await drain(store.outgoingStream({ id: 'ingest' }))).toEqual([1, 2, 5, 6]);
  });
});
