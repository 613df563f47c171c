// The fleet simulator alone, against a stack that is already running (`pnpm start`, or `pnpm dev`
// with its own fleet): as many devices as asked, cloned from the seed devices in turn under ids of
// their own (`sim-00001`, …), provisioned once in the stack's metadata store (their secrets kept,
// mode 0600, in the data folder), each its own MQTT client. A progress line every few seconds: connected, sent, acknowledged, rate, buffered.
//
//   pnpm simulate --devices 10000 --speed 60 --duration 10m
//
// Every device of a large fleet connects from this machine's one address: start the broker with
// BROKER_MAX_CONNECTIONS_PER_ADDRESS above the fleet size (default 1,000), and raise `ulimit -n`.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type FleetDevice, loadFleetDevices, resolveSeedTime, runFleet } from '@coldchain/fleet-simulator';
import { openMetadataStore } from '@coldchain/store';

const USAGE = `usage: pnpm simulate [--devices N] [--speed X] [--interval-ms MS] [--duration 10m] [--start -6h]
                     [--url mqtt://127.0.0.1:1883] [--data-dir DIR] [--seed N] [--progress-ms MS]
  --devices      how many devices (default: as many as the seed devices), cloned from them in turn
  --speed        event time per wall-clock time (default 1); a faster run replays the past up to now
  --interval-ms  wall-clock time between a device's readings (default 5000)
  --duration     how long to run, e.g. 90s, 10m, 2h (default: until Ctrl-C)
  --start        event time of the start: ISO-8601 or an offset like -6h (default: see --speed)
  --url          the broker (default MQTT_URL, else mqtt://127.0.0.1:1883)
  --data-dir     the stack's data folder (default COLDCHAIN_DATA_DIR, else ./.data); the store is
                 COLDCHAIN_DATABASE_URL when set`;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function positiveNumber(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0))
    fail(`--${name}: expected a positive number, got ${JSON.stringify(text)}`);
  return n;
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      devices: { type: 'string' },
      speed: { type: 'string' },
      'interval-ms': { type: 'string' },
      duration: { type: 'string' },
      start: { type: 'string' },
      url: { type: 'string' },
      'data-dir': { type: 'string' },
      seed: { type: 'string' },
      'progress-ms': { type: 'string' },
      help: { type: 'boolean' },
    },
  }).values;
}
try {
  parsed = parse();
} catch (err) {
  fail((err as Error).message);
}
if (parsed.help) {
  console.log(USAGE);
  process.exit(0);
}

const count = positiveNumber(parsed.devices, 'devices');
if (count !== undefined && !Number.isSafeInteger(count)) fail('--devices: expected a whole number');
const durationText = parsed.duration;
const durationMatch = durationText === undefined ? null : DURATION.exec(durationText);
if (durationText !== undefined && !durationMatch)
  fail(`--duration: expected e.g. 90s, 10m or 2h, got ${durationText}`);
const durationMs = durationMatch
  ? Number(durationMatch[1]) * (UNIT_MS[durationMatch[2] as string] ?? 1)
  : undefined;
let startMs: number | undefined;
if (parsed.start !== undefined) {
  try {
    startMs = resolveSeedTime(parsed.start, Date.now());
  } catch (err) {
    fail(`--start: ${(err as Error).message}`);
  }
}
const dataDir = resolve(parsed['data-dir'] ?? process.env.COLDCHAIN_DATA_DIR ?? './.data');
const url = parsed.url ?? process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';

/**
 * `n` devices cloned from the seed devices in turn (`sim-00001`, …): ids of their own, so that they
 * never take the session of a demo device running at the same time.
 */
function fleetOf(seeds: readonly FleetDevice[], n: number): FleetDevice[] {
  const width = Math.max(5, String(n).length);
  return Array.from({ length: n }, (_, i) => ({
    ...(seeds[i % seeds.length] as FleetDevice),
    id: `sim-${String(i + 1).padStart(width, '0')}`,
  }));
}

const seeds = await loadFleetDevices();
const devices = fleetOf(seeds, count ?? seeds.length);
const credentialsFile = join(dataDir, 'simulated-device-credentials.json');
const credentials: Record<string, string> = JSON.parse(
  await readFile(credentialsFile, 'utf8').catch(() => '{}'),
);
const missing = devices.filter((d) => credentials[d.id] === undefined);
if (missing.length > 0) {
  const store = await openMetadataStore({
    databaseUrl: process.env.COLDCHAIN_DATABASE_URL,
    file: join(dataDir, 'metadata.db'),
  });
  try {
    for (const [i, d] of missing.entries()) {
      credentials[d.id] = (await store.getDevice(d.id))
        ? await store.rotateDeviceSecret(d.id)
        : (await store.provisionDevice({ id: d.id, kind: d.kind, name: `Simulated ${d.kind} ${d.id}` }))
            .secret;
      if ((i + 1) % 1_000 === 0) console.log(`provisioned ${i + 1}/${missing.length} devices`);
    }
  } finally {
    await store.close();
  }
  await writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  await chmod(credentialsFile, 0o600);
}

const fleet = await runFleet({
  url,
  credentials,
  devices,
  speed: positiveNumber(parsed.speed, 'speed') ?? 1,
  intervalMs: positiveNumber(parsed['interval-ms'], 'interval-ms') ?? 5_000,
  ...(durationMs === undefined ? {} : { durationMs }),
  ...(startMs === undefined ? {} : { startMs }),
  seed: Number(parsed.seed ?? 1),
  statsIntervalMs: positiveNumber(parsed['progress-ms'], 'progress-ms') ?? 5_000,
  log: (line) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`),
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void fleet.stop());
await fleet.stopped;
process.exit(0);
