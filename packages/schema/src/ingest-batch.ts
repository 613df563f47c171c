/**
 * Device messages handed from our broker to the ingest many to one MQTT message (README, "Broker
 * to ingest: envelopes"). Device messages stay exactly as the devices sent them; the envelope only
 * carries them, so the ingest validates, journals and dead-letters each one as if it had come alone.
 *
 * Why: with one reading per message, most of the broker's and the ingest's work per message was
 * MQTT itself (routing the message to the ingest's session, its PUBLISH and PUBACK, their
 * encoding and decoding) rather than anything about the reading. One envelope per event-loop turn
 * pays that once for all the messages of the turn.
 *
 * The broker keeps a retained `INGEST_BATCH_OFFER_TOPIC` message; an ingest that finds it
 * subscribes to `INGEST_BATCH_TOPIC` instead of the device topics. Any other broker (Mosquitto)
 * has no such message, and the ingest subscribes to the device topics as before.
 *
 * Layout (big-endian): u8 version (1), u32 batch id, u32 count, then per message u16 topic length,
 * the topic (UTF-8), u32 payload length, the payload.
 */
export const INGEST_BATCH_TOPIC = '$SYS/coldchain/ingest/batches';
export const INGEST_BATCH_OFFER_TOPIC = '$SYS/coldchain/ingest/offer';
export const INGEST_BATCH_VERSION = 1;
const HEADER_BYTES = 9;

export interface BatchedMessage {
  topic: string;
  payload: Buffer;
}

export interface IngestBatch {
  id: number;
  messages: BatchedMessage[];
}

/** The envelope of `messages`, with the broker's `id` for it. */
export function encodeIngestBatch(id: number, messages: readonly BatchedMessage[]): Buffer {
  let bytes = HEADER_BYTES;
  for (const m of messages) bytes += 6 + Buffer.byteLength(m.topic, 'utf8') + m.payload.length;
  const out = Buffer.allocUnsafe(bytes);
  out.writeUInt8(INGEST_BATCH_VERSION, 0);
  out.writeUInt32BE(id >>> 0, 1);
  out.writeUInt32BE(messages.length, 5);
  let at = HEADER_BYTES;
  for (const { topic, payload } of messages) {
    const topicBytes = out.write(topic, at + 2, 'utf8');
    out.writeUInt16BE(topicBytes, at);
    at += 2 + topicBytes;
    out.writeUInt32BE(payload.length, at);
    payload.copy(out, at + 4);
    at += 4 + payload.length;
  }
  return out;
}

/** The batch id alone (the broker reads it from the ingest's PUBACKed copy), or null if not an envelope. */
export function ingestBatchId(envelope: Uint8Array): number | null {
  if (envelope.length < HEADER_BYTES || envelope[0] !== INGEST_BATCH_VERSION) return null;
  return Buffer.from(envelope.buffer, envelope.byteOffset, envelope.length).readUInt32BE(1);
}

/**
 * Reads an envelope back; the payloads are views into it, not copies. A malformed one (wrong
 * version, lengths past its end, bytes left over) is an error saying where.
 */
export function decodeIngestBatch(
  envelope: Buffer,
): { ok: true; value: IngestBatch } | { ok: false; error: string } {
  if (envelope.length < HEADER_BYTES)
    return { ok: false, error: `envelope of ${envelope.length} bytes: too short` };
  const version = envelope.readUInt8(0);
  if (version !== INGEST_BATCH_VERSION)
    return { ok: false, error: `envelope version ${version}, expected ${INGEST_BATCH_VERSION}` };
  const id = envelope.readUInt32BE(1);
  const count = envelope.readUInt32BE(5);
  const messages: BatchedMessage[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + 2 > envelope.length)
      return { ok: false, error: `message ${i} of ${count}: cut off at its topic` };
    const topicBytes = envelope.readUInt16BE(at);
    if (at + 2 + topicBytes + 4 > envelope.length)
      return { ok: false, error: `message ${i} of ${count}: cut off in its topic` };
    const topic = envelope.toString('utf8', at + 2, at + 2 + topicBytes);
    at += 2 + topicBytes;
    const payloadBytes = envelope.readUInt32BE(at);
    if (at + 4 + payloadBytes > envelope.length)
      return { ok: false, error: `message ${i} of ${count}: cut off in its payload` };
    messages.push({ topic, payload: envelope.subarray(at + 4, at + 4 + payloadBytes) });
    at += 4 + payloadBytes;
  }
  if (at !== envelope.length)
    return { ok: false, error: `${envelope.length - at} bytes after the last of ${count} messages` };
  return { ok: true, value: { id, messages } };
}
