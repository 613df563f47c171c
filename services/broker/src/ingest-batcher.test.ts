import { decodeIngestBatch } from '@coldchain/schema';
import { describe, expect, it } from 'vitest';
import { createIngestBatcher } from './ingest-batcher.js';

const turn = () => new Promise((r) => setImmediate(r));
const msg = (i: number, bytes = 10) => ({
  topic: `coldchain/v1/devices/d${i}/telemetry`,
  payload: Buffer.alloc(bytes, i),
});

function batcher(maxMessages = 100, maxBytes = 1_000_000) {
  const sent: Buffer[] = [];
  const b = createIngestBatcher({
    publish: (envelope, done) => {
      sent.push(envelope);
      setImmediate(done);
    },
    maxMessages,
    maxBytes,
  });
  return { b, sent };
}

describe('the ingest batcher', () => {
  it('sends the messages of one turn in one envelope, in order, and calls back once it is handed over', async () => {
    const { b, sent } = batcher();
    const routed: number[] = [];
    for (let i = 0; i < 5; i++) b.add(msg(i).topic, msg(i).payload, () => routed.push(i));
    expect(sent).toHaveLength(0);
    await turn();
    expect(sent).toHaveLength(1);
    const decoded = decodeIngestBatch(sent[0] as Buffer);
    expect(decoded.ok && decoded.value.messages).toEqual([0, 1, 2, 3, 4].map((i) => msg(i)));
    await turn();
    expect(routed).toEqual([0, 1, 2, 3, 4]);
  });

  it('splits at the message and byte limits; a message larger than the byte limit goes alone', async () => {
    const { b, sent } = batcher(3, 100);
    for (let i = 0; i < 7; i++) b.add(msg(i).topic, msg(i).payload);
    b.add(msg(8).topic, msg(8, 500).payload);
    b.add(msg(9).topic, msg(9).payload);
    await turn();
    const counts = sent.map((e) => {
      const d = decodeIngestBatch(e);
      return d.ok ? d.value.messages.length : -1;
    });
    expect(counts).toEqual([3, 3, 1, 1, 1]);
  });

  it('hands back the messages of an acknowledged envelope once, from a copy too; unknown ones give nothing', async () => {
    const { b, sent } = batcher();
    b.add(msg(1).topic, msg(1).payload);
    b.add(msg(2).topic, msg(2).payload);
    await turn();
    const envelope = sent[0] as Buffer;
    expect(b.messagesOf(envelope)).toHaveLength(2);
    const acked = b.acknowledged(Buffer.from(envelope));
    expect(acked.map((m) => m.payload)).toEqual([msg(1).payload, msg(2).payload]);
    expect(b.acknowledged(envelope)).toEqual([]);
    expect(b.acknowledged(Buffer.from('not an envelope'))).toEqual([]);
    expect(b.messagesOf(envelope)).toBeUndefined();
  });
});
