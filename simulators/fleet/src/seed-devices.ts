import { readFile } from 'node:fs/promises';
import { isValidDeviceId, LAT_RANGE_DEG, LON_RANGE_DEG, type Range } from '@coldchain/schema';
import { type Climate, climateForBand, type ProfileBand } from './climate.js';
import { DEVICE_KINDS, type DeviceKind } from './device-model.js';
import type { Place } from './geo.js';
import type { RouteSpec } from './route.js';

/** A device as `seeds/devices.json` lists it. */
export interface SeedDevice {
  id: string;
  kind: DeviceKind;
  name: string;
  /** Id of the profile (in `seeds/profiles.json`) of the goods it carries or holds. */
  profileId: string;
  /** The company operating it. */
  holder?: string;
  /** Where a fixed unit stands. */
  location?: Place;
  /** A vehicle's (or travelling logger's) round. */
  route?: RouteSpec;
  ambientC?: number;
  batteryPct?: number;
  /** How fast the goods follow the air (see DeviceModelConfig); default per kind. */
  productTauMs?: number;
}

/** A device ready to simulate: what the model needs, with the profile resolved to a climate. */
export interface FleetDevice {
  id: string;
  kind: DeviceKind;
  climate: Climate;
  route?: RouteSpec;
  ambientC?: number;
  batteryPct?: number;
  productTauMs?: number;
}

/** The seed files next to this package: `simulators/fleet/{src,dist}/` → `seeds/`. */
export const DEFAULT_DEVICES_FILE = new URL('../../../seeds/devices.json', import.meta.url);
export const DEFAULT_PROFILES_FILE = new URL('../../../seeds/profiles.json', import.meta.url);

/** Reads both seed files and resolves each device's profile; an error names the file and the bad field. */
export async function loadFleetDevices(
  files: { devicesFile?: string | URL; profilesFile?: string | URL } = {},
): Promise<FleetDevice[]> {
  const devicesFile = files.devicesFile ?? DEFAULT_DEVICES_FILE;
  const profilesFile = files.profilesFile ?? DEFAULT_PROFILES_FILE;
  const devices = parseSeedDevices(await readJson(devicesFile), String(devicesFile));
  const bands = parseProfileBands(await readJson(profilesFile), String(profilesFile));
  return toFleetDevices(devices, bands, String(profilesFile));
}

export function toFleetDevices(
  devices: readonly SeedDevice[],
  bands: ReadonlyMap<string, ProfileBand>,
  profilesSource = 'profiles',
): FleetDevice[] {
  return devices.map((d) => {
    const band = bands.get(d.profileId);
    if (!band) throw new Error(`device ${d.id}: profile "${d.profileId}" is not in ${profilesSource}`);
    const device: FleetDevice = { id: d.id, kind: d.kind, climate: climateForBand(band) };
    if (d.route) device.route = d.route;
    if (d.ambientC !== undefined) device.ambientC = d.ambientC;
    if (d.batteryPct !== undefined) device.batteryPct = d.batteryPct;
    if (d.productTauMs !== undefined) device.productTauMs = d.productTauMs;
    return device;
  });
}

/** Parses `{ "devices": [...] }`. Unknown fields are ignored: the file also feeds the store and dashboard. */
export function parseSeedDevices(json: unknown, source = 'devices.json'): SeedDevice[] {
  const root = new Fields(json, source);
  const seen = new Set<string>();
  return root.array('devices').map((item, index) => {
    const f: Fields = new Fields(item, `${source}: devices[${index}]`);
    const id = f.string('id');
    if (!isValidDeviceId(id)) f.fail('id', 'a device id of 1 to 64 letters, digits, "_" or "-"');
    if (seen.has(id)) f.fail('id', `an id not used before (${id} is)`);
    seen.add(id);
    const kind = f.string('kind');
    if (!isDeviceKind(kind)) f.fail('kind', DEVICE_KINDS.join(' | '));
    const device: SeedDevice = { id, kind, name: f.string('name'), profileId: f.string('profileId') };
    const holder = f.optionalString('holder');
    if (holder !== undefined) device.holder = holder;
    const location = f.optionalObject('location');
    if (location) device.location = location.place();
    const route = f.optionalObject('route');
    if (route) device.route = route.route();
    const ambientC = f.optionalNumber('ambientC', { min: -50, max: 60 });
    if (ambientC !== undefined) device.ambientC = ambientC;
    const batteryPct = f.optionalNumber('batteryPct', { min: 0, max: 100 });
    if (batteryPct !== undefined) device.batteryPct = batteryPct;
    const productTauMs = f.optionalNumber('productTauMs', { min: 60_000, max: 86_400_000 });
    if (productTauMs !== undefined) device.productTauMs = productTauMs;
    return device;
  });
}

/**
 * Reads the target ranges out of `{ "profiles": [...] }`: `id`, `temperature.targetC.{lowC,highC}` and
 * `humidity.{lowPct,highPct}`. Only these fields are read, so the rest of the profile can evolve freely.
 */
export function parseProfileBands(json: unknown, source = 'profiles.json'): Map<string, ProfileBand> {
  const bands = new Map<string, ProfileBand>();
  new Fields(json, source).array('profiles').forEach((item, index) => {
    const f = new Fields(item, `${source}: profiles[${index}]`);
    const target = f.object('temperature').object('targetC');
    const band: ProfileBand = {};
    const lowC = target.optionalNumber('lowC');
    const highC = target.optionalNumber('highC');
    if (lowC !== undefined) band.lowC = lowC;
    if (highC !== undefined) band.highC = highC;
    const humidity = f.optionalObject('humidity');
    const rhLowPct = humidity?.optionalNumber('lowPct', { min: 0, max: 100 });
    const rhHighPct = humidity?.optionalNumber('highPct', { min: 0, max: 100 });
    if (rhLowPct !== undefined) band.rhLowPct = rhLowPct;
    if (rhHighPct !== undefined) band.rhHighPct = rhHighPct;
    bands.set(f.string('id'), band);
  });
  return bands;
}

async function readJson(file: string | URL): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${String(file)}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

function isDeviceKind(value: string): value is DeviceKind {
  return (DEVICE_KINDS as readonly string[]).includes(value);
}

/** Reads fields of an untrusted JSON object; every failure names where it is and what was expected. */
class Fields {
  private readonly obj: Record<string, unknown>;

  constructor(
    value: unknown,
    private readonly where: string,
  ) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error(`${where}: expected an object`);
    }
    this.obj = value as Record<string, unknown>;
  }

  fail(key: string, expected: string): never {
    throw new Error(`${this.where}.${key}: expected ${expected}, got ${JSON.stringify(this.obj[key])}`);
  }

  string(key: string): string {
    const value = this.obj[key];
    if (typeof value !== 'string' || value.length === 0) this.fail(key, 'a non-empty string');
    return value;
  }

  optionalString(key: string): string | undefined {
    return this.obj[key] === undefined ? undefined : this.string(key);
  }

  number(key: string, range?: Range): number {
    const value = this.obj[key];
    const expected = range ? `a number between ${range.min} and ${range.max}` : 'a number';
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(key, expected);
    if (range && (value < range.min || value > range.max)) this.fail(key, expected);
    return value;
  }

  optionalNumber(key: string, range?: Range): number | undefined {
    return this.obj[key] === undefined ? undefined : this.number(key, range);
  }

  object(key: string): Fields {
    return new Fields(this.obj[key], `${this.where}.${key}`);
  }

  optionalObject(key: string): Fields | undefined {
    return this.obj[key] === undefined ? undefined : this.object(key);
  }

  array(key: string): unknown[] {
    const value = this.obj[key];
    if (!Array.isArray(value)) this.fail(key, 'an array');
    return value;
  }

  place(): Place {
    const place: Place = { lat: this.number('lat', LAT_RANGE_DEG), lon: this.number('lon', LON_RANGE_DEG) };
    const name = this.optionalString('name');
    return name === undefined ? place : { name, ...place };
  }

  route(): RouteSpec {
    const route: RouteSpec = { from: this.object('from').place(), to: this.object('to').place() };
    const drops = this.optionalNumber('drops', { min: 0, max: 20 });
    if (drops !== undefined) route.drops = Math.floor(drops);
    const speedKmh = this.optionalNumber('speedKmh', { min: 1, max: 150 });
    if (speedKmh !== undefined) route.speedKmh = speedKmh;
    return route;
  }
}
