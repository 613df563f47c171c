// A telemetry load worker of the ingest and breach benchmarks: a child process holding a share of
// the device clients, driven over the IPC channel (ingest-load.ts). It also times its own messages
// from publish until the benchmark reports them queryable in InfluxDB.
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDeviceTopic } from '@coldchain/schema';
import type { MqttClient } from 'mqtt';
import { connect } from '../support/mqtt.js';
import {
  emptyTelemetryCounts,
  type FromLoadWorker,
  type TelemetryShape,
  type ToLoadWorker,
  wallMs,
} from './ingest-load-protocol.js';
import type { DeviceCredentials } from './load-protocol.js';

const PROGRESS_INTERVAL_MS = 250;
const PACE_INTERVAL_MS = 10;
const DRAIN_TIMEOUT_MS = 10_000;

interface Sent {
  /** The message's highest reading number. */
  lastSeq: number;
  atMs: number;
  phase: number;
}

interface Device {
  id: string;
  client: MqttClient;
  topic: string;
  inFlight: number;
  /** Readings numbered so far. */
  seq: number;
  /** Messages of a measured phase not yet seen in InfluxDB, oldest first. */
  sent: Sent[];
  sentHead: number;
}

const counts = emptyTelemetryCounts();
const devices: Device[] = [];
const byId = new Map<string, Device>();
const latencies: Record<number, number[]> = {};
let shape: TelemetryShape = { readingsPerMessage: 1, firstTsMs: 0, productTempC: 3 };
let window = 1;
/** Readings this worker may have published in all; grows with `allow` or with the clock when paced. */
let allowance = 0;
let phase = 0;
let stopping = false;
let pacer: NodeJS.Timeout | undefined;
let nextDevice = 0;

const send = (message: FromLoadWorker) => process.send?.(message);
const noteError = (err: Error) => {
  counts.lastError = err.message;
};

// The benchmark is gone: nothing left to measure for.
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group; the benchmark decides when the workers stop.
process.on('SIGINT', () => {});

process.on('message', (message: ToLoadWorker) => {
  switch (message.type) {
    case 'connect':
      shape = message.shape;
      window = message.window;
      void connectAll(message.url, message.devices, message.connectTimeoutMs);
      break;
    case 'allow':
      clearInterval(pacer);
      allowance = message.readings;
      pumpAll();
      break;
    case 'pace':
      pace(message.readingsPerSec);
      break;
    case 'phase':
      phase = message.phase;
      break;
    case 'queryable':
      noteQueryable(message.lastSeq, message.atMs);
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

async function connectAll(url: string, all: DeviceCredentials[], timeoutMs: number) {
  let next = 0;
  const connectNext = async (): Promise<void> => {
    while (next < all.length && !stopping) {
      const { id, password } = all[next++] as DeviceCredentials;
      try {
        const client = await connect(url, {
          clientId: id,
          username: id,
          password,
          connectTimeout: timeoutMs,
        });
        client.on('error', noteError);
        client.on('close', () => {
          if (!stopping) counts.unexpectedCloses++;
        });
        const device: Device = {
          id,
          client,
          topic: formatDeviceTopic(id, 'telemetry'),
          inFlight: 0,
          seq: 0,
          sent: [],
          sentHead: 0,
        };
        devices.push(device);
        byId.set(id, device);
        counts.connected++;
      } catch (err) {
        counts.connectFailed++;
        noteError(err as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: 20 }, connectNext));
  send({ type: 'connected', counts: { ...counts } });
}

/** Open loop: the allowance grows with the clock, and unspent allowance carries over. */
function pace(readingsPerSec: number) {
  clearInterval(pacer);
  const from = counts.publishedReadings;
  const startedAt = performance.now();
  pacer = setInterval(() => {
    allowance = from + Math.floor((readingsPerSec * (performance.now() - startedAt)) / 1000);
    pumpAll();
  }, PACE_INTERVAL_MS);
}

/** Offers the allowance to every device in turn, starting where the last round stopped. */
function pumpAll() {
  for (let i = 0; i < devices.length && !stopping; i++) {
    const d = devices[(nextDevice + i) % devices.length] as Device;
    pump(d);
    if (counts.publishedReadings + shape.readingsPerMessage > allowance) {
      nextDevice = (nextDevice + i + 1) % devices.length;
      return;
    }
  }
}

/** Keeps up to `window` messages of this device awaiting PUBACK while the allowance lasts. */
function pump(d: Device): void {
  const n = shape.readingsPerMessage;
  while (
    !stopping &&
    d.inFlight < window &&
    d.client.connected &&
    counts.publishedReadings + n <= allowance
  ) {
    const first = d.seq + 1;
    d.seq += n;
    d.inFlight++;
    counts.publishedMessages++;
    counts.publishedReadings += n;
    if (phase > 0) d.sent.push({ lastSeq: d.seq, atMs: wallMs(), phase });
    d.client.publish(d.topic, telemetry(first, n), { qos: 1 }, (err) => {
      d.inFlight--;
      if (err) {
        counts.publishErrors++;
        noteError(err);
      } else {
        counts.ackedMessages++;
        counts.ackedReadings += n;
      }
      pump(d);
    });
  }
}

/** Readings `first` .. `first + n - 1` of a device in the wire format of packages/schema. */
function telemetry(first: number, n: number): string {
  const reading = (seq: number) =>
    `"ts":${shape.firstTsMs + seq},"seq":${seq},"temp":{"air":${shape.productTempC + 0.5},"product":${shape.productTempC}},"rh":91.5`;
  if (n === 1) return `{"v":1,${reading(first)}}`;
  const readings: string[] = [];
  for (let seq = first; seq < first + n; seq++) readings.push(`{${reading(seq)}}`);
  return `{"v":1,"readings":[${readings.join(',')}]}`;
}

/** Every message up to a device's stored reading number has become queryable by `atMs` at the latest. */
function noteQueryable(lastSeq: Record<string, number>, atMs: number) {
  for (const [id, seq] of Object.entries(lastSeq)) {
    const d = byId.get(id);
    if (!d) continue;
    while (d.sentHead < d.sent.length) {
      const s = d.sent[d.sentHead] as Sent;
      if (s.lastSeq > seq) break;
      const list = latencies[s.phase] ?? [];
      list.push(atMs - s.atMs);
      latencies[s.phase] = list;
      d.sentHead++;
    }
    // Drop what has been timed, now and then, so that the queue stays short.
    if (d.sentHead > 4096) {
      d.sent.splice(0, d.sentHead);
      d.sentHead = 0;
    }
  }
}

async function stop() {
  stopping = true;
  clearInterval(pacer);
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (devices.some((d) => d.inFlight > 0 && d.client.connected) && Date.now() < deadline) {
    await sleep(20);
  }
  await Promise.all(devices.map((d) => new Promise<void>((r) => d.client.end(false, {}, () => r()))));
  clearInterval(progress);
  const unseen: Record<number, number> = {};
  for (const d of devices) {
    for (const s of d.sent.slice(d.sentHead)) unseen[s.phase] = (unseen[s.phase] ?? 0) + 1;
  }
  process.send?.({ type: 'stopped', counts: { ...counts }, latencies, unseen } satisfies FromLoadWorker, () =>
    process.disconnect?.(),
  );
}
