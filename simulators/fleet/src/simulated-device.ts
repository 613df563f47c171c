import { createDeviceModel, type DeviceModel, type DeviceModelConfig } from './device-model.js';
import { activeFault } from './faults.js';
import type { Rng } from './random.js';
import { createStoreAndForward } from './store-and-forward.js';
import { type TelemetryPayload, toTelemetryPayloads } from './telemetry-payload.js';

export interface SimulatedDeviceConfig extends DeviceModelConfig {
  /** Readings the device can hold while it cannot transmit. Default 100,000 (over two months at one a minute). */
  maxBufferedReadings?: number;
}

/** Whether the device can reach the broker now (the runner's MQTT connection state). */
export interface Link {
  connected: boolean;
}

/**
 * A device with its memory: each tick it takes one reading and either sends it or, while it is offline
 * (an `offline` fault, or no connection), keeps it. On the first tick it can send again, it sends the
 * backlog — oldest first, with the readings' original timestamps — in batches within the wire limits,
 * the new reading last. Connected but inside an `offline` window, it still sends what it took before the
 * window began (those readings would have gone out at the time), and keeps the rest.
 */
export interface SimulatedDevice {
  readonly id: string;
  readonly model: DeviceModel;
  /** Readings held, waiting to be sent. */
  readonly buffered: number;
  /** Readings overwritten because the memory was full. */
  readonly dropped: number;
  tick(tsMs: number, link: Link): TelemetryPayload[];
  /** Advances the model to `tsMs` without keeping the reading: a span already sent on an earlier run. */
  skip(tsMs: number): void;
}

const DEFAULT_MAX_BUFFERED_READINGS = 100_000;

export function createSimulatedDevice(config: SimulatedDeviceConfig, rng: Rng): SimulatedDevice {
  const model = createDeviceModel(config, rng);
  const memory = createStoreAndForward(config.maxBufferedReadings ?? DEFAULT_MAX_BUFFERED_READINGS);
  const faults = config.faults ?? [];
  return {
    id: config.id,
    model,
    get buffered() {
      return memory.size;
    },
    get dropped() {
      return memory.dropped;
    },
    tick(tsMs, link) {
      const reading = model.sample(tsMs);
      memory.hold(reading);
      if (!link.connected) return [];
      const outage = activeFault(faults, 'offline', tsMs);
      return toTelemetryPayloads(outage ? memory.drainBefore(outage.fromMs) : memory.drain());
    },
    skip(tsMs) {
      model.sample(tsMs);
    },
  };
}
