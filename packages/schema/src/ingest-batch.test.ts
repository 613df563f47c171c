import { describe, expect, it } from 'vitest';
import { decodeIngestBatch, encodeIngestBatch, ingestBatchId } from './ingest-batch.js';

const messages = [
  { topic: 'coldchain/v1/devices/truck-01/telemetry', payload: Buffer.from('{"ts":1,"temp":{"air":3}}') },
  { topic: 'coldchain/v1/devices/设备-2/events', payload: Buffer.alloc(0) },
  { topic: 'coldchain/v1/devices/x/telemetry', payload: Buffer.from([0, 255, 10, 13]) },
];

describe('the ingest batch envelope', () => {
  it('carries each message byte for byte, in order, with its id', () => {
    const envelope = encodeIngestBatch(4_000_000_001, messages);
    const decoded = decodeIngestBatch(envelope);
    expect(decoded.ok && decoded.value.id).toBe(4_000_000_001);
    expect(decoded.ok && decoded.value.messages).toEqual(messages);
    expect(ingestBatchId(envelope)).toBe(4_000_000_001);
  });

  it('holds no message too', () => {
    const decoded = decodeIngestBatch(encodeIngestBatch(7, []));
    expect(decoded).toEqual({ ok: true, value: { id: 7, messages: [] } });
  });

  it('refuses an envelope cut anywhere, or with bytes left over, saying so', () => {
    const envelope = encodeIngestBatch(1, messages);
    for (let cut = 0; cut < envelope.length; cut++) {
      const decoded = decodeIngestBatch(envelope.subarray(0, cut));
      expect(decoded.ok, `cut at ${cut}`).toBe(false);
    }
    const longer = decodeIngestBatch(Buffer.concat([envelope, Buffer.from([0])]));
    expect(longer).toEqual({ ok: false, error: '1 bytes after the last of 3 messages' });
    const other = Buffer.from(envelope);
    other[0] = 2;
    expect(decodeIngestBatch(other)).toEqual({ ok: false, error: 'envelope version 2, expected 1' });
    expect(ingestBatchId(other)).toBeNull();
  });
});
