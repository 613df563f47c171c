import { type BatchedMessage, encodeIngestBatch, ingestBatchId } from '@coldchain/schema';

export interface IngestBatcherOptions {
  /** Publishes one envelope (QoS 1, to the ingest's session); calls back once Aedes has it. */
  publish(envelope: Buffer, done: () => void): void;
  /** Messages per envelope at most (more wait for the next one). */
  maxMessages: number;
  /** Payload bytes per envelope at most (a single larger message still goes, alone). */
  maxBytes: number;
}

export interface IngestBatcher {
  /**
   * A spooled device message for the ingest: it leaves in the envelope of this event-loop turn;
   * `routed` is called once Aedes has that envelope.
   */
  add(topic: string, payload: Buffer, routed?: () => void): void;
  /** The messages an envelope sent in this broker run carries (it stays unacknowledged). */
  messagesOf(envelope: Uint8Array): BatchedMessage[] | undefined;
  /**
   * The ingest acknowledged an envelope (Aedes' copy of it, or the same Buffer): the messages it
   * carried, to release from the spool. Empty for an envelope this broker run did not send (from
   * a persistence that outlived a restart: the spool replays those messages anyway).
   */
  acknowledged(envelope: Uint8Array): BatchedMessage[];
}

/**
 * Gathers the device messages bound for the ingest during one event-loop turn into one envelope
 * (`@coldchain/schema`'s ingest batch): one route through Aedes, one PUBLISH and one PUBACK for
 * all of them. The device messages themselves are untouched; each is still in the spool until
 * the envelope that carries it is acknowledged.
 */
export function createIngestBatcher(opts: IngestBatcherOptions): IngestBatcher {
  let waiting: BatchedMessage[] = [];
  let waitingBytes = 0;
  let callbacks: Array<() => void> = [];
  let scheduled = false;
  let nextId = 1;
  const unacknowledged = new Map<number, BatchedMessage[]>();

  const flush = () => {
    scheduled = false;
    if (waiting.length === 0) return;
    const messages = waiting;
    const routed = callbacks;
    waiting = [];
    waitingBytes = 0;
    callbacks = [];
    const id = nextId;
    nextId = nextId === 0xffff_ffff ? 1 : nextId + 1;
    unacknowledged.set(id, messages);
    opts.publish(encodeIngestBatch(id, messages), () => {
      for (const done of routed) done();
    });
  };

  return {
    add(topic, payload, routed) {
      if (
        waiting.length > 0 &&
        (waiting.length >= opts.maxMessages || waitingBytes + payload.length > opts.maxBytes)
      )
        flush();
      waiting.push({ topic, payload });
      waitingBytes += payload.length;
      if (routed) callbacks.push(routed);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    messagesOf(envelope) {
      const id = ingestBatchId(envelope);
      return id === null ? undefined : unacknowledged.get(id);
    },
    acknowledged(envelope) {
      const id = ingestBatchId(envelope);
      if (id === null) return [];
      const messages = unacknowledged.get(id);
      if (!messages) return [];
      unacknowledged.delete(id);
      return messages;
    },
  };
}
