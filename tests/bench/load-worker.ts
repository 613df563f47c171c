// A load worker: a child process of the benchmark holding a share of the device clients, so that
// the clients' own CPU work and open files are spread over processes. Driven over the IPC channel.
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDeviceTopic } from '@coldchain/schema';
import type { MqttClient } from 'mqtt';
import { connect } from '../support/mqtt.js';
import { type DeviceCredentials, emptyCounts, type FromWorker, type ToWorker } from './load-protocol.js';

const PROGRESS_INTERVAL_MS = 250;
const DRAIN_TIMEOUT_MS = 5_000;

interface Device {
  client: MqttClient;
  topic: string;
  inFlight: number;
  seq: number;
}

const counts = emptyCounts();
const devices: Device[] = [];
let publishing = false;
let stopping = false;

const send = (message: FromWorker) => process.send?.(message);
const noteError = (err: Error) => {
  counts.lastError = err.message;
};

// The benchmark is gone (or cleaning up): nothing left to measure for.
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group; the benchmark decides when the workers stop.
process.on('SIGINT', () => {});

process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'connect':
      void connectAll(message.url, message.devices, message.concurrency, message.connectTimeoutMs);
      break;
    case 'publish':
      publishing = true;
      for (const d of devices) pump(d, message.window);
      break;
    case 'snapshot':
      send({ type: 'snapshot', counts: { ...counts } });
      break;
    case 'stop':
      void stop();
      break;
  }
});

const progress = setInterval(() => send({ type: 'progress', counts: { ...counts } }), PROGRESS_INTERVAL_MS);
send({ type: 'ready', counts: { ...counts } });

async function connectAll(url: string, all: DeviceCredentials[], concurrency: number, timeoutMs: number) {
  let next = 0;
  const connectNext = async (): Promise<void> => {
    while (next < all.length && !stopping) {
      const { id, password } = all[next++] as DeviceCredentials;
      const topic = formatDeviceTopic(id, 'telemetry');
      try {
        const client = await connect(url, {
          clientId: id,
          username: id,
          password,
          connectTimeout: timeoutMs,
          // No will: the broker owns each device's status topic and marks it offline itself (a
          // will there is refused with CONNACK 5).
        });
        client.on('error', noteError);
        client.on('close', () => {
          if (!stopping) counts.unexpectedCloses++;
        });
        devices.push({ client, topic, inFlight: 0, seq: 0 });
        counts.connected++;
      } catch (err) {
        counts.connectFailed++;
        noteError(err as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, connectNext));
  send({ type: 'connected', counts: { ...counts } });
}

/** Keeps `window` publishes awaiting PUBACK for this device while publishing lasts. */
function pump(d: Device, window: number): void {
  while (publishing && d.inFlight < window && d.client.connected) {
    d.inFlight++;
    d.seq++;
    counts.published++;
    d.client.publish(d.topic, telemetry(d.seq), { qos: 1 }, (err) => {
      d.inFlight--;
      if (err) {
        counts.publishErrors++;
        noteError(err);
      } else {
        counts.acked++;
      }
      pump(d, window);
    });
  }
}

/** One reading in the wire format of packages/schema. */
const telemetry = (seq: number) =>
  `{"v":1,"readings":[{"ts":${Date.now()},"seq":${seq},"temp":{"air":3.4,"product":2.9},"rh":91.5}]}`;

async function stop() {
  publishing = false;
  stopping = true;
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (devices.some((d) => d.inFlight > 0 && d.client.connected) && Date.now() < deadline) {
    await sleep(20);
  }
  // A clean DISCONNECT: no will, as when a device is switched off on purpose.
  await Promise.all(devices.map((d) => new Promise<void>((r) => d.client.end(false, {}, () => r()))));
  clearInterval(progress);
  process.send?.({ type: 'stopped', counts: { ...counts } } satisfies FromWorker, () =>
    process.disconnect?.(),
  );
}
