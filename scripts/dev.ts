// The whole pipeline on one machine, with a simulated fleet. Services are added here as they land;
// today it provides InfluxDB only.
import { join, resolve } from 'node:path';
import { defaultCacheDir, provideInflux } from '@coldchain/influx';

const dataDir = resolve(process.env.COLDCHAIN_DATA_DIR ?? '.data');
const external = process.env.INFLUX_URL
  ? {
      url: process.env.INFLUX_URL,
      token: process.env.INFLUX_TOKEN ?? '',
      org: process.env.INFLUX_ORG ?? 'coldchain',
      bucket: process.env.INFLUX_BUCKET ?? 'telemetry',
    }
  : undefined;
const influx = await provideInflux({
  external,
  dataDir: join(dataDir, 'influxdb'),
  cacheDir: defaultCacheDir(process.env),
  path: process.env.PATH ?? '',
});
console.log(`InfluxDB ${influx.version} at ${influx.url} (org ${influx.org}, bucket ${influx.bucket})`);
console.log('Not built yet: broker, ingest, api, fleet simulator. Ctrl-C stops.');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void influx.stop().then(() => process.exit(0)));
}
