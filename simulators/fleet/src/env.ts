import { FAULT_KINDS, type FaultKind } from './faults.js';
import type { FleetFault } from './run-fleet.js';
import { resolveSeedTime } from './seed-time.js';

/** The simulator CLI's configuration, read once at start from the environment. */
export interface FleetEnv {
  url: string;
  credentialsFile: string;
  devicesFile?: string;
  profilesFile?: string;
  intervalMs: number;
  speed: number;
  durationMs?: number;
  /** `FLEET_START` as written (ISO-8601 or an offset like `-6h`); resolved against the clock at start. */
  start?: string;
  seed: number;
  faults: FleetFault[];
}

const MQTT_PROTOCOLS = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'];

/**
 * Parses the environment by hand: zod, which the services use for this, is not a dependency of the
 * simulator, and the simulator's only dependencies are the schema and mqtt. Every bad variable is reported,
 * each by name, in one error.
 */
export function readFleetEnv(env: NodeJS.ProcessEnv = process.env): FleetEnv {
  const problems: string[] = [];
  const problem = (name: string, expected: string) =>
    problems.push(`  ${name}: expected ${expected}, got ${JSON.stringify(env[name])}`);

  const url = env.MQTT_URL || 'mqtt://127.0.0.1:1883';
  if (!isUrl(url, MQTT_PROTOCOLS)) problem('MQTT_URL', `a URL with one of ${MQTT_PROTOCOLS.join(' ')}`);

  const credentialsFile = env.FLEET_CREDENTIALS_FILE ?? '';
  if (!credentialsFile) problem('FLEET_CREDENTIALS_FILE', 'the path of a JSON object {"deviceId": "secret"}');

  const number = (
    name: string,
    fallback: number | undefined,
    check: (n: number) => boolean,
    expected: string,
  ) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!check(n)) {
      problem(name, expected);
      return fallback;
    }
    return n;
  };
  const positiveInt = (n: number) => Number.isSafeInteger(n) && n > 0;
  const intervalMs = number(
    'FLEET_INTERVAL_MS',
    5_000,
    positiveInt,
    'a positive integer (milliseconds)',
  ) as number;
  const speed = number('FLEET_SPEED', 1, (n) => Number.isFinite(n) && n > 0, 'a positive number') as number;
  const durationMs = number('FLEET_DURATION_MS', undefined, positiveInt, 'a positive integer (milliseconds)');
  const seed = number('FLEET_SEED', 1, Number.isSafeInteger, 'an integer') as number;

  const start = env.FLEET_START || undefined;
  if (start !== undefined) {
    try {
      resolveSeedTime(start, 0);
    } catch {
      problem('FLEET_START', 'an ISO-8601 time with a zone or an offset like -6h');
    }
  }

  let faults: FleetFault[] = [];
  if (env.FLEET_FAULTS) {
    const parsed = parseFaults(env.FLEET_FAULTS);
    if (typeof parsed === 'string') problem('FLEET_FAULTS', parsed);
    else faults = parsed;
  }

  if (problems.length > 0) throw new Error(`invalid fleet simulator configuration:\n${problems.join('\n')}`);
  const out: FleetEnv = { url, credentialsFile, intervalMs, speed, seed, faults };
  if (env.FLEET_DEVICES_FILE) out.devicesFile = env.FLEET_DEVICES_FILE;
  if (env.FLEET_PROFILES_FILE) out.profilesFile = env.FLEET_PROFILES_FILE;
  if (durationMs !== undefined) out.durationMs = durationMs;
  if (start !== undefined) out.start = start;
  return out;
}

/** Parses a credentials file's content: a JSON object of device id → secret. */
export function parseCredentials(text: string, source: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${source}: not valid JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${source}: expected a JSON object {"deviceId": "secret"}`);
  }
  const credentials: Record<string, string> = {};
  for (const [id, secret] of Object.entries(json)) {
    if (typeof secret !== 'string' || secret === '')
      throw new Error(`${source}: ${id}: expected a non-empty string`);
    credentials[id] = secret;
  }
  return credentials;
}

const FAULTS_EXPECTED =
  `a JSON array of {"deviceId": string, "kind": ${FAULT_KINDS.map((k) => `"${k}"`).join(' | ')}, ` +
  '"afterMs": number ≥ 0, "durationMs"?: number > 0, "tempC"?: number}';

function parseFaults(text: string): FleetFault[] | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return FAULTS_EXPECTED;
  }
  if (!Array.isArray(json)) return FAULTS_EXPECTED;
  const faults: FleetFault[] = [];
  for (const item of json) {
    if (typeof item !== 'object' || item === null) return FAULTS_EXPECTED;
    const { deviceId, kind, afterMs, durationMs, tempC } = item as Record<string, unknown>;
    if (typeof deviceId !== 'string' || !isFaultKind(kind)) return FAULTS_EXPECTED;
    if (typeof afterMs !== 'number' || !(afterMs >= 0)) return FAULTS_EXPECTED;
    if (durationMs !== undefined && (typeof durationMs !== 'number' || !(durationMs > 0)))
      return FAULTS_EXPECTED;
    if (tempC !== undefined && (typeof tempC !== 'number' || !Number.isFinite(tempC))) return FAULTS_EXPECTED;
    const fault: FleetFault = { deviceId, kind, afterMs };
    if (durationMs !== undefined) fault.durationMs = durationMs;
    if (tempC !== undefined) fault.tempC = tempC;
    faults.push(fault);
  }
  return faults;
}

function isFaultKind(value: unknown): value is FaultKind {
  return typeof value === 'string' && (FAULT_KINDS as readonly string[]).includes(value);
}

function isUrl(text: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(text).protocol);
  } catch {
    return false;
  }
}
