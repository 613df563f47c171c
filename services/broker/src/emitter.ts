import mqemitter, { type MQEmitter } from 'mqemitter';
import { Fifo } from './fifo.js';

/**
 * The message router Aedes would create for itself (mqemitter, empty topic levels matched as
 * MQTT-4.7.1-3 requires), with its overflow queue made O(1).
 *
 * mqemitter routes `concurrency` messages at once and queues the rest in two arrays it `shift`s
 * from the front as each routed message completes. A message completes only once it is written to
 * every subscriber, so when the ingest's socket is full the queue grows by the broker's whole
 * inflow, and V8's `shift` on a long array copies it: profiling the broker under the benchmark's
 * load showed a quarter of its CPU there. The arrays are replaced by ring buffers, which mqemitter
 * reaches only through `push`, `shift` and `length`.
 */
export function createEmitter(concurrency: number): MQEmitter {
  const mq = mqemitter({ concurrency, matchEmptyLevels: true });
  const internals = mq as unknown as { _messageQueue: unknown; _messageCallbacks: unknown };
  if (!Array.isArray(internals._messageQueue) || !Array.isArray(internals._messageCallbacks)) {
    // A future mqemitter without these arrays: keep its own queue rather than guess.
    return mq;
  }
  internals._messageQueue = new Fifo();
  internals._messageCallbacks = new Fifo();
  return mq;
}
