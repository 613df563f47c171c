import type { Climate } from './climate.js';
import { type DoorSchedule, isDoorOpen } from './door-schedule.js';
import { type Fault, isFaultActive } from './faults.js';
import { gaussian, type Rng } from './random.js';
import { createRoute, type RoutePosition, type RouteSpec } from './route.js';
import type { WireReading } from './telemetry-payload.js';
import { relax, type ThermalCoupling } from './thermal.js';

export const DEVICE_KINDS = ['vehicle', 'cold-room', 'cabinet', 'logger'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export interface DeviceModelConfig {
  id: string;
  kind: DeviceKind;
  climate: Climate;
  /** Event time (epoch ms) the simulation starts at: the unit is at its set-point, the round begins. */
  startMs: number;
  /** Outside air, °C. Default per kind: early summer in Liaoning (20–26 °C). */
  ambientC?: number;
  /** Outside relative humidity, %. Default 65. */
  ambientRhPct?: number;
  /** A vehicle's (or a travelling logger's) round; absent: the device reports no position. */
  route?: RouteSpec;
  /** How far into its round the device starts, so that a fleet does not move in step. Default 0. */
  routeOffsetMs?: number;
  faults?: readonly Fault[];
  /** State of charge at the start, %: a logger's own battery, a mains device's backup battery. Default 100. */
  batteryPct?: number;
  /** How long the doors stay open at a vehicle's stop. Default 90 s. */
  doorOpenMs?: number;
  /** `seq` of the first reading. Default 1. */
  firstSeq?: number;
  /**
   * How fast the product follows the air (its time constant); default per kind. A few packs in a small
   * courier box follow within minutes, a loaded pallet in hours.
   */
  productTauMs?: number;
}

/** The simulated truth at the last sampled moment, before sensor noise and rounding. */
export interface DeviceState {
  tsMs: number;
  airC: number;
  productC: number;
  rhPct: number;
  batteryPct: number;
  cooling: boolean;
  doorOpen: boolean;
  position?: RoutePosition;
}

/** A device that produces readings; time is passed in, and must not go backwards. */
export interface DeviceModel {
  readonly id: string;
  readonly kind: DeviceKind;
  /** Advances the simulation to `tsMs` and returns the reading the device takes then. */
  sample(tsMs: number): WireReading;
  state(): DeviceState;
}

/**
 * How each kind of unit behaves thermally. Time constants are planning values of the right order, not
 * measurements: a reefer body loses its cold in hours, a cold room in most of a day, a small cabinet in
 * about two hours; the load follows the air far more slowly than the air follows the door.
 */
interface KindPhysics {
  /** Air ↔ outside through the insulation. */
  warmTauMs: number;
  /** Air ↔ the evaporator's supply air while the compressor runs. */
  coolTauMs: number;
  /** Air ↔ outside through an open door. */
  doorTauMs: number;
  /** Product ↔ air. */
  productTauMs: number;
  /** Humidity ↔ outside air through an open door, and back to what the unit keeps once it is shut. */
  rhDoorTauMs: number;
  rhClosedTauMs: number;
  /** How far below the set-point the supply air runs. */
  supplyBelowSetpointC: number;
  ambientC: number;
  sensors: readonly ('air' | 'product')[];
  power: 'mains' | 'battery';
  /** Doors of fixed units open on a schedule; a vehicle's open at its stops; a parcel logger has none. */
  doors: 'route' | DoorSchedule | 'none';
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const PHYSICS: Record<DeviceKind, KindPhysics> = {
  vehicle: {
    warmTauMs: 3 * HOUR,
    coolTauMs: 8 * MINUTE,
    doorTauMs: 4 * MINUTE,
    productTauMs: 3 * HOUR,
    rhDoorTauMs: 3 * MINUTE,
    rhClosedTauMs: 20 * MINUTE,
    supplyBelowSetpointC: 5,
    ambientC: 24,
    sensors: ['air', 'product'],
    power: 'mains',
    doors: 'route',
  },
  'cold-room': {
    // Thick panels: after a power cut a loaded frozen store warms by a degree or two an hour.
    warmTauMs: 24 * HOUR,
    coolTauMs: 15 * MINUTE,
    // Strip curtains at the loading door keep most of the cold in.
    doorTauMs: 30 * MINUTE,
    productTauMs: 6 * HOUR,
    // The curtains keep the moist air in as well.
    rhDoorTauMs: 30 * MINUTE,
    rhClosedTauMs: 20 * MINUTE,
    supplyBelowSetpointC: 4,
    ambientC: 22,
    sensors: ['air', 'product'],
    power: 'mains',
    // Forklift loading: about every other hour, one to three minutes.
    doors: { slotMs: HOUR, probability: 0.5, minOpenMs: MINUTE, maxOpenMs: 3 * MINUTE },
  },
  cabinet: {
    warmTauMs: 2 * HOUR,
    coolTauMs: 5 * MINUTE,
    doorTauMs: 3 * MINUTE,
    // Parcels in insulated bags.
    productTauMs: 2 * HOUR,
    // A few hundred litres of air over wet produce: humidity is back within minutes of shutting.
    rhDoorTauMs: 3 * MINUTE,
    rhClosedTauMs: 5 * MINUTE,
    supplyBelowSetpointC: 4,
    ambientC: 26,
    sensors: ['air', 'product'],
    power: 'mains',
    // Couriers filling and customers collecting: about one opening an hour, 20 to 90 s.
    doors: { slotMs: 30 * MINUTE, probability: 0.5, minOpenMs: 20_000, maxOpenMs: 90_000 },
  },
  logger: {
    // A parcel logger sits in an insulated box in someone's cold store or vehicle: it sees that
    // environment through the box, and reports one probe among the product.
    warmTauMs: 4 * HOUR,
    coolTauMs: 10 * MINUTE,
    doorTauMs: 4 * MINUTE,
    productTauMs: HOUR,
    rhDoorTauMs: 3 * MINUTE,
    rhClosedTauMs: 20 * MINUTE,
    supplyBelowSetpointC: 4,
    ambientC: 24,
    sensors: ['product'],
    power: 'battery',
    doors: 'none',
  },
};

/** Integration step: well under the shortest time constant and the door time. */
const MAX_STEP_MS = 5_000;
const DEFAULT_DOOR_OPEN_MS = 90_000;
const DEFAULT_AMBIENT_RH_PCT = 65;
/** Random walk of the air (turbulence, defrost, load shifts) per √minute, and the sensors' noise. */
const AIR_WANDER_C = 0.05;
const RH_WANDER_PCT = 0.4;
const TEMP_NOISE_C = 0.03;
const RH_NOISE_PCT = 0.3;
/** About 3 m of GPS jitter. */
const GPS_NOISE_DEG = 0.00003;
/** A parcel logger (a year's battery at a reading a minute, roughly) and a mains device's backup pack. */
const LOGGER_DRAIN_PCT_PER_HOUR = 1 / 24;
const BACKUP_DRAIN_PCT_PER_HOUR = 8;
const BACKUP_CHARGE_PCT_PER_HOUR = 20;

export function createDeviceModel(config: DeviceModelConfig, rng: Rng): DeviceModel {
  const physics = PHYSICS[config.kind];
  const { climate } = config;
  const faults = config.faults ?? [];
  const ambientC = config.ambientC ?? physics.ambientC;
  const ambientRhPct = config.ambientRhPct ?? DEFAULT_AMBIENT_RH_PCT;
  const doorOpenMs = config.doorOpenMs ?? DEFAULT_DOOR_OPEN_MS;
  const route = config.route ? createRoute(config.route, doorOpenMs) : undefined;
  const routeOffsetMs = config.routeOffsetMs ?? 0;
  const doorSeed = Math.floor(rng() * 2 ** 32);
  const supplyC = climate.setpointC - physics.supplyBelowSetpointC;
  const productTauMs = config.productTauMs ?? physics.productTauMs;
  const warmLoads = faults.filter((f) => f.kind === 'warm-load');
  let seq = config.firstSeq ?? 1;

  const state: DeviceState = {
    tsMs: config.startMs,
    airC: climate.setpointC + (rng() - 0.5) * climate.thermostatDiffC,
    productC: climate.setpointC,
    rhPct: climate.rhPct ?? ambientRhPct,
    batteryPct: config.batteryPct ?? 100,
    cooling: false,
    doorOpen: false,
  };
  if (route) state.position = route.at(routeOffsetMs);

  /** Open doors let outside air in; a `door-open` fault holds them (a parcel logger's box lid) open. */
  function doorOpenAt(tsMs: number): boolean {
    if (isFaultActive(faults, 'door-open', tsMs)) return true;
    if (physics.doors === 'none') return false;
    if (physics.doors === 'route')
      return route ? route.at(tsMs - config.startMs + routeOffsetMs).doorOpen : false;
    return isDoorOpen(physics.doors, doorSeed, tsMs);
  }

  function step(toMs: number): void {
    const dtMs = toMs - state.tsMs;
    const powerCut = isFaultActive(faults, 'power-cut', toMs);
    const refrigerating = !powerCut && !isFaultActive(faults, 'compressor-failure', toMs);
    const doorOpen = doorOpenAt(toMs);

    // A thermostat with a differential: the compressor cycles and the air saws around the set-point.
    const half = climate.thermostatDiffC / 2;
    if (!refrigerating || state.airC < climate.setpointC - half) state.cooling = false;
    else if (state.airC > climate.setpointC + half) state.cooling = true;

    const couplings: ThermalCoupling[] = [{ targetC: ambientC, tauMs: physics.warmTauMs }];
    if (state.cooling) couplings.push({ targetC: supplyC, tauMs: physics.coolTauMs });
    if (doorOpen) couplings.push({ targetC: ambientC, tauMs: physics.doorTauMs });
    state.airC = relax(state.airC, couplings, dtMs) + AIR_WANDER_C * Math.sqrt(dtMs / MINUTE) * gaussian(rng);
    // Goods loaded warm: from the moment they are in, the probe among them reads their temperature.
    for (const load of warmLoads) {
      if (state.tsMs < load.fromMs && load.fromMs <= toMs) state.productC = load.tempC ?? ambientC;
    }
    // The product lags the air: a door spike barely moves it; a failed unit warms it over hours.
    state.productC = relax(state.productC, [{ targetC: state.airC, tauMs: productTauMs }], dtMs);

    if (climate.rhPct !== undefined) {
      const rhCoupling = doorOpen
        ? { targetC: ambientRhPct, tauMs: physics.rhDoorTauMs }
        : { targetC: climate.rhPct, tauMs: physics.rhClosedTauMs };
      state.rhPct =
        relax(state.rhPct, [rhCoupling], dtMs) + RH_WANDER_PCT * Math.sqrt(dtMs / MINUTE) * gaussian(rng);
    }

    const hours = dtMs / HOUR;
    if (physics.power === 'battery') state.batteryPct -= LOGGER_DRAIN_PCT_PER_HOUR * hours;
    else state.batteryPct += (powerCut ? -BACKUP_DRAIN_PCT_PER_HOUR : BACKUP_CHARGE_PCT_PER_HOUR) * hours;
    state.batteryPct = clamp(state.batteryPct, 0, 100);

    state.doorOpen = doorOpen;
    state.tsMs = toMs;
  }

  function advanceTo(tsMs: number): void {
    if (tsMs < state.tsMs) {
      throw new RangeError(
        `device ${config.id}: time went backwards (${new Date(tsMs).toISOString()} after ${new Date(state.tsMs).toISOString()})`,
      );
    }
    while (state.tsMs < tsMs) step(Math.min(tsMs, state.tsMs + MAX_STEP_MS));
    if (route) state.position = route.at(tsMs - config.startMs + routeOffsetMs);
    // The door state at the sample time itself, also when no time passed since the last sample.
    state.doorOpen = doorOpenAt(tsMs);
  }

  return {
    id: config.id,
    kind: config.kind,
    state: () => ({ ...state, ...(state.position ? { position: { ...state.position } } : {}) }),
    sample(tsMs) {
      advanceTo(tsMs);
      const temp: Record<string, number> = {};
      for (const sensor of physics.sensors) {
        const trueC = sensor === 'air' ? state.airC : state.productC;
        temp[sensor] = round(trueC + TEMP_NOISE_C * gaussian(rng), 2);
      }
      const reading: WireReading = { ts: new Date(tsMs).toISOString(), seq: seq++, temp };
      if (climate.rhPct !== undefined)
        reading.rh = round(clamp(state.rhPct + RH_NOISE_PCT * gaussian(rng), 0, 100), 1);
      // A parcel logger has no door sensor, even when its box stands open.
      if (physics.doors !== 'none') reading.door = state.doorOpen;
      if (state.position) {
        reading.lat = round(state.position.lat + GPS_NOISE_DEG * gaussian(rng), 5);
        reading.lon = round(state.position.lon + GPS_NOISE_DEG * gaussian(rng), 5);
      }
      reading.battery = round(state.batteryPct, 1);
      return reading;
    },
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  // `+ 0` turns -0 into 0, which JSON would print as 0 anyway.
  return Math.round(value * factor) / factor + 0;
}
