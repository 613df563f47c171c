// The InfluxDB a whole stack on one machine uses: INFLUX_URL's (with INFLUX_TOKEN, INFLUX_ORG,
// INFLUX_BUCKET) when set, else the local server in the data folder, built once per machine.
import { join } from 'node:path';
import { defaultCacheDir, provideInflux } from '@coldchain/influx';

export function provideStackInflux(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  progress: (line: string) => void,
) {
  return provideInflux({
    external: env.INFLUX_URL
      ? {
          url: env.INFLUX_URL,
          token: env.INFLUX_TOKEN ?? '',
          org: env.INFLUX_ORG ?? 'coldchain',
          bucket: env.INFLUX_BUCKET ?? 'telemetry',
        }
      : undefined,
    dataDir: join(dataDir, 'influxdb'),
    cacheDir: defaultCacheDir(env),
    path: env.PATH ?? '',
    progress,
  });
}
