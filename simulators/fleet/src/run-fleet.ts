import { formatDeviceTopic, isValidDeviceId, MAX_PAST_AGE_MS } from '@coldchain/schema';
import mqtt, { type MqttClient } from 'mqtt';
import { createEventClock, defaultStartMs } from './event-clock.js';
import type { Fault, FaultKind } from './faults.js';
import { createRng, hashSeed, hashUniform } from './random.js';
import { type BackoffPolicy, DEFAULT_BACKOFF, reconnectDelayMs } from './reconnect-backoff.js';
import { type FleetDevice, loadFleetDevices } from './seed-devices.js';
import { createSimulatedDevice, type SimulatedDevice } from './simulated-device.js';
import type { TelemetryPayload } from './telemetry-payload.js';

/** A fault for one device, placed in event time relative to the run's start. */
export interface FleetFault {
  deviceId: string;
  kind: FaultKind;
  /** Event time after the start when it begins. */
  afterMs: number;
  /** How long it lasts in event time; absent: until the run stops. */
  durationMs?: number;
  /** `warm-load`: the temperature of the goods loaded, °C (default: the outside air). */
  tempC?: number;
}

/**
 * Recorded history: the devices have been logging since `startMs`, one reading every `intervalMs` of
 * event time, and hold in their memories what they logged after `sentUntilMs` (default: all of it, at
 * most MAX_PAST_AGE_MS back). They send it as a store-and-forward backlog, with the original times, once
 * connected; then they go on live, at the wall clock. An earlier run that sent up to `sentUntilMs` is
 * not sent again: the devices only replay it silently, so that their state goes on from where it was.
 */
export interface FleetHistory {
  intervalMs: number;
  sentUntilMs?: number;
}

/** Progress and trouble, one line at a time; `fields` carry the same facts for a structured logger. */
export type FleetLogger = (line: string, fields?: Record<string, unknown>) => void;

export interface FleetOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. */
  url: string;
  /** Device id → secret. The runner does not provision: every simulated device needs an entry. */
  credentials: Readonly<Record<string, string>>;
  /** Devices to simulate; absent: read from `devicesFile` and `profilesFile` (default `seeds/`). */
  devices?: readonly FleetDevice[];
  devicesFile?: string | URL;
  profilesFile?: string | URL;
  faults?: readonly FleetFault[];
  /** Wall-clock time between a device's readings. Default 5000 ms. */
  intervalMs?: number;
  /** Event time per wall-clock time (see createEventClock). Default 1. */
  speed?: number;
  /** Event time of the start; default: now, or in the past for speed > 1 (see defaultStartMs). */
  startMs?: number;
  /** Readings already logged between `startMs` and now; needs speed 1 (see FleetHistory). */
  history?: FleetHistory;
  /** Wall-clock run time; absent: until `stop()`. */
  durationMs?: number;
  /** Seed of every random draw: the same seed, start and ticks give the same readings. Default 1. */
  seed?: number;
  /** How often a progress line is logged. Default 10 s; 0 turns it off. */
  statsIntervalMs?: number;
  log?: FleetLogger;
  backoff?: BackoffPolicy;
  /** How long `stop()` waits for outstanding acknowledgements before it drops the connection. Default 3 s. */
  stopTimeoutMs?: number;
  /** The wall clock; injectable for tests. Default `Date.now`. */
  now?: () => number;
}

export interface FleetStats {
  devices: number;
  connected: number;
  readingsSent: number;
  readingsAcked: number;
  /** Held in the devices' memories (offline or disconnected), not yet sent. */
  readingsBuffered: number;
  /** Overwritten in a full device memory. */
  readingsDropped: number;
  messagesSent: number;
  messagesAcked: number;
  publishErrors: number;
  /** The simulated event time now. */
  eventTimeMs: number;
  /** Readings acknowledged per second of wall-clock time, over the last progress interval (or since start). */
  ackedPerSec: number;
}

export interface Fleet {
  /** Ends every client (waiting briefly for acknowledgements); safe to call more than once. */
  stop(): Promise<void>;
  stats(): FleetStats;
  /** Settles when the fleet has stopped, by `stop()` or at the end of `durationMs`. */
  readonly stopped: Promise<void>;
}

interface RunningDevice {
  id: string;
  topic: string;
  sim: SimulatedDevice;
  client: MqttClient;
  lastEventMs: number;
  inFlight: number;
  reconnectAttempt: number;
  lastError?: string;
  timers: NodeJS.Timeout[];
}

const DEFAULT_INTERVAL_MS = 5_000;
const DEFAULT_STATS_INTERVAL_MS = 10_000;
const DEFAULT_STOP_TIMEOUT_MS = 3_000;
/** A backlog older than the ingest accepts (MAX_PAST_AGE_MS), with a day to spare, is not held. */
const MAX_HISTORY_MS = MAX_PAST_AGE_MS - 24 * 3_600_000;
/** Rounds are hours long; spreading starting points over half a day keeps the vehicles out of step. */
const ROUTE_SPREAD_MS = 12 * 3_600_000;

/**
 * Runs a simulated fleet: every device is its own MQTT client (client id = username = device id,
 * persistent session, QoS 1) and publishes one reading every `intervalMs` on its telemetry topic, and
 * nothing else. A device that is offline (an `offline` fault, or the connection is down) keeps its
 * readings and sends the backlog as batches when it can again. Connecting happens in the background:
 * this resolves once the clients are created, not when they are connected.
 */
export async function runFleet(opts: FleetOptions): Promise<Fleet> {
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => {});
  const intervalMs = positive(opts.intervalMs ?? DEFAULT_INTERVAL_MS, 'intervalMs');
  const speed = positive(opts.speed ?? 1, 'speed');
  const durationMs = opts.durationMs === undefined ? undefined : positive(opts.durationMs, 'durationMs');
  const seed = opts.seed ?? 1;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const stopTimeoutMs = opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;

  const devices = opts.devices ?? (await loadFleetDevices(opts));
  // Checked before any client connects: two clients with one id would take each other's session.
  const ids = new Set<string>();
  for (const { id } of devices) {
    if (!isValidDeviceId(id)) throw new Error(`invalid device id: ${JSON.stringify(id)}`);
    if (ids.has(id)) throw new Error(`device ${id} is listed twice`);
    ids.add(id);
  }
  const missing = devices.filter((d) => opts.credentials[d.id] === undefined).map((d) => d.id);
  if (missing.length > 0) throw new Error(`no credentials for device(s): ${missing.join(', ')}`);
  const unknown = (opts.faults ?? []).filter((f) => !ids.has(f.deviceId)).map((f) => f.deviceId);
  if (unknown.length > 0) throw new Error(`faults name device(s) not in the fleet: ${unknown.join(', ')}`);

  const wallStartMs = now();
  const history = opts.history;
  if (history && speed !== 1) throw new RangeError('recorded history needs speed 1');
  if (history) positive(history.intervalMs, 'history.intervalMs');
  const startMs = opts.startMs ?? defaultStartMs(wallStartMs, speed, durationMs);
  // With history the devices have been running since `startMs`; live readings follow at the wall clock.
  const eventClock = createEventClock({ wallStartMs, startMs: history ? wallStartMs : startMs, speed });
  const counters = { readingsSent: 0, readingsAcked: 0, messagesSent: 0, messagesAcked: 0, publishErrors: 0 };

  const running = devices.map((device, index) =>
    startDevice(device, index, faultsFor(device.id, opts.faults ?? [], startMs)),
  );

  function startDevice(device: FleetDevice, index: number, faults: Fault[]): RunningDevice {
    const sim = createSimulatedDevice(
      {
        ...device,
        startMs,
        faults,
        routeOffsetMs: Math.floor(hashUniform(seed, device.id, 'route') * ROUTE_SPREAD_MS),
      },
      createRng(hashSeed(seed, device.id)),
    );
    const client = mqtt.connect(opts.url, {
      clientId: device.id,
      username: device.id,
      password: opts.credentials[device.id],
      // A persistent session: the broker keeps QoS 1 messages for the device across reconnects, and the
      // client resends unacknowledged publishes (MQTT 3.1.1 §3.1.2.4, §4.4).
      clean: false,
      reconnectPeriod: reconnectDelayMs(0, backoff, Math.random),
      // A refused CONNACK (not yet provisioned, broker overloaded) is retried like a lost connection.
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
    });
    const d: RunningDevice = {
      id: device.id,
      topic: formatDeviceTopic(device.id, 'telemetry'),
      sim,
      client,
      lastEventMs: Number.NEGATIVE_INFINITY,
      inFlight: 0,
      reconnectAttempt: 0,
      timers: [],
    };
    if (history) {
      d.lastEventMs = recordHistory(sim, history);
      // The backlog goes out as soon as the device is connected, not at its first live tick: until
      // it is in, the ingest would see the device as silent.
      client.once('connect', () => tick(d));
    }
    client.on('connect', () => {
      if (d.reconnectAttempt > 0)
        log(`${d.id} reconnected`, { deviceId: d.id, attempts: d.reconnectAttempt });
      d.reconnectAttempt = 0;
      d.lastError = undefined;
      client.options.reconnectPeriod = reconnectDelayMs(0, backoff, Math.random);
    });
    client.on('offline', () => {
      log(`${d.id}: connection lost; keeping readings until it is back`, { deviceId: d.id });
    });
    client.on('reconnect', () => {
      d.reconnectAttempt++;
      // mqtt.js reads reconnectPeriod each time it schedules the next attempt, so this is the next delay.
      client.options.reconnectPeriod = reconnectDelayMs(d.reconnectAttempt, backoff, Math.random);
    });
    client.on('error', (err) => {
      // One line per distinct problem, not one per retry.
      if (err.message === d.lastError) return;
      d.lastError = err.message;
      log(`${d.id}: ${err.message}`, { deviceId: d.id, err: err.message });
    });
    // Stagger the devices over the interval so that the broker sees a steady stream, not a burst.
    const phaseMs = Math.floor((index / Math.max(1, devices.length)) * intervalMs);
    d.timers.push(
      setTimeout(() => {
        tick(d);
        d.timers.push(setInterval(() => tick(d), intervalMs));
      }, phaseMs),
    );
    return d;
  }

  /** Logs the device's past into its memory (see FleetHistory); returns the last event time logged. */
  function recordHistory(sim: SimulatedDevice, { intervalMs: stepMs, sentUntilMs }: FleetHistory): number {
    const untilMs = eventClock(wallStartMs);
    const holdFromMs = Math.max(sentUntilMs ?? Number.NEGATIVE_INFINITY, untilMs - MAX_HISTORY_MS);
    const offline = { connected: false };
    let lastMs = Number.NEGATIVE_INFINITY;
    for (let t = startMs; t < untilMs; t += stepMs) {
      if (t <= holdFromMs) sim.skip(t);
      else sim.tick(t, offline);
      lastMs = t;
    }
    return lastMs;
  }

  function tick(d: RunningDevice): void {
    const eventMs = eventClock(now());
    if (eventMs <= d.lastEventMs) return;
    d.lastEventMs = eventMs;
    for (const payload of d.sim.tick(eventMs, { connected: d.client.connected })) publish(d, payload);
  }

  function publish(d: RunningDevice, { payload, readingCount }: TelemetryPayload): void {
    counters.messagesSent++;
    counters.readingsSent += readingCount;
    d.inFlight++;
    d.client.publish(d.topic, payload, { qos: 1 }, (err) => {
      d.inFlight--;
      if (err) {
        counters.publishErrors++;
        log(`${d.id}: publish failed: ${err.message}`, { deviceId: d.id, err: err.message, readingCount });
        return;
      }
      counters.messagesAcked++;
      counters.readingsAcked += readingCount;
    });
  }

  /** Where the acknowledgement rate is measured from: the last progress line. */
  let rateMark = { atMs: wallStartMs, acked: 0 };

  function stats(): FleetStats {
    const atMs = now();
    const elapsedMs = atMs - rateMark.atMs;
    return {
      devices: running.length,
      connected: running.filter((d) => d.client.connected).length,
      ...counters,
      readingsBuffered: running.reduce((sum, d) => sum + d.sim.buffered, 0),
      readingsDropped: running.reduce((sum, d) => sum + d.sim.dropped, 0),
      eventTimeMs: eventClock(atMs),
      ackedPerSec: elapsedMs > 0 ? ((counters.readingsAcked - rateMark.acked) * 1000) / elapsedMs : 0,
    };
  }

  function progress(prefix: string): void {
    const s = stats();
    rateMark = { atMs: now(), acked: s.readingsAcked };
    log(
      `${prefix}: ${s.connected}/${s.devices} devices connected, ${s.readingsSent} readings sent, ` +
        `${s.readingsAcked} acked (${Math.round(s.ackedPerSec)}/s), ${s.readingsBuffered} buffered, ` +
        `event time ${new Date(s.eventTimeMs).toISOString()}`,
      { ...s },
    );
  }

  const statsIntervalMs = opts.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS;
  const statsTimer = statsIntervalMs > 0 ? setInterval(() => progress('fleet'), statsIntervalMs) : undefined;
  const durationTimer = durationMs === undefined ? undefined : setTimeout(() => void stop(), durationMs);

  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  let stopping: Promise<void> | undefined;

  function stop(): Promise<void> {
    stopping ??= (async () => {
      clearInterval(statsTimer);
      clearTimeout(durationTimer);
      for (const d of running) for (const timer of d.timers) clearTimeout(timer);
      await Promise.all(running.map((d) => endClient(d, stopTimeoutMs)));
      progress('fleet stopped');
      resolveStopped();
    })();
    return stopping;
  }

  log(
    `fleet: ${running.length} devices, one reading every ${intervalMs} ms, speed ${speed}, ` +
      `event time from ${new Date(startMs).toISOString()}` +
      (history ? `, ${stats().readingsBuffered} recorded readings to send` : ''),
    { devices: running.length, intervalMs, speed, startMs, url: opts.url },
  );
  return { stop, stats, stopped };
}

/**
 * Ends a client cleanly where it can: once its publishes are acknowledged, with a DISCONNECT, so that the
 * broker knows the device left on purpose. A client that is not connected, or whose acknowledgements do
 * not come in time, is closed at once (mqtt.js's non-forced end would wait for them indefinitely).
 */
async function endClient(d: RunningDevice, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (d.client.connected && d.inFlight > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await d.client.endAsync(!d.client.connected || d.inFlight > 0);
}

function faultsFor(deviceId: string, faults: readonly FleetFault[], startMs: number): Fault[] {
  return faults
    .filter((f) => f.deviceId === deviceId)
    .map((f) => {
      const fault: Fault = { kind: f.kind, fromMs: startMs + f.afterMs };
      if (f.durationMs !== undefined) fault.toMs = fault.fromMs + f.durationMs;
      if (f.tempC !== undefined) fault.tempC = f.tempC;
      return fault;
    });
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
