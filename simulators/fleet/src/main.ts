// The fleet simulator as a process: reads its configuration from the environment (see env.ts), runs the
// fleet until FLEET_DURATION_MS passes or it is told to stop, and stops cleanly on SIGINT/SIGTERM.
import { readFile } from 'node:fs/promises';
import { parseCredentials, readFleetEnv } from './env.js';
import { runFleet } from './run-fleet.js';
import { resolveSeedTime } from './seed-time.js';

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

try {
  const env = readFleetEnv();
  const credentials = parseCredentials(await readFile(env.credentialsFile, 'utf8'), env.credentialsFile);
  const fleet = await runFleet({
    url: env.url,
    credentials,
    devicesFile: env.devicesFile,
    profilesFile: env.profilesFile,
    intervalMs: env.intervalMs,
    speed: env.speed,
    durationMs: env.durationMs,
    startMs: env.start === undefined ? undefined : resolveSeedTime(env.start, Date.now()),
    seed: env.seed,
    faults: env.faults,
    log,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void fleet.stop();
    });
  }
  await fleet.stopped;
  process.exit(0);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
