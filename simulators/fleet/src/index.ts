export { type Climate, climateForBand, type ProfileBand } from './climate.js';
export {
  createDeviceModel,
  DEVICE_KINDS,
  type DeviceKind,
  type DeviceModel,
  type DeviceModelConfig,
  type DeviceState,
} from './device-model.js';
export { createEventClock, defaultStartMs, type EventClockOptions } from './event-clock.js';
export { activeFault, FAULT_KINDS, type Fault, type FaultKind, isFaultActive } from './faults.js';
export { distanceKm, type Place } from './geo.js';
export { createRng, hashSeed, hashUniform, type Rng } from './random.js';
export { type BackoffPolicy, DEFAULT_BACKOFF, reconnectDelayMs } from './reconnect-backoff.js';
export { createRoute, type Route, type RoutePosition, type RouteSpec } from './route.js';
export {
  type Fleet,
  type FleetFault,
  type FleetHistory,
  type FleetLogger,
  type FleetOptions,
  type FleetStats,
  runFleet,
} from './run-fleet.js';
export {
  DEFAULT_DEVICES_FILE,
  DEFAULT_PROFILES_FILE,
  type FleetDevice,
  loadFleetDevices,
  parseProfileBands,
  parseSeedDevices,
  type SeedDevice,
  toFleetDevices,
} from './seed-devices.js';
export { resolveSeedTime } from './seed-time.js';
export {
  createSimulatedDevice,
  type Link,
  type SimulatedDevice,
  type SimulatedDeviceConfig,
} from './simulated-device.js';
export { createStoreAndForward, type StoreAndForward } from './store-and-forward.js';
export { type TelemetryPayload, toTelemetryPayloads, type WireReading } from './telemetry-payload.js';
