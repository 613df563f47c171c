// Runs the local InfluxDB in the foreground (builds it once per machine if needed) and prints how
// to reach it. Ctrl-C stops it cleanly.
import { join, resolve } from 'node:path';
import { defaultCacheDir, provideInflux } from '@coldchain/influx';

const dataDir = resolve(process.env.COLDCHAIN_DATA_DIR ?? '.data');
const influx = await provideInflux({
  dataDir: join(dataDir, 'influxdb'),
  cacheDir: defaultCacheDir(process.env),
  path: process.env.PATH ?? '',
  port: Number(process.env.INFLUX_PORT ?? 8086),
});
console.log(`InfluxDB ${influx.version} at ${influx.url}
  org ${influx.org}, bucket ${influx.bucket}
  token ${influx.token}
  data in ${join(dataDir, 'influxdb')} (Ctrl-C stops it)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void influx.stop().then(() => process.exit(0)));
}
