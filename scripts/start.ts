// Production start: the broker, the ingest and the api, each its own process running its compiled
// JavaScript (`services/*/dist/main.js`), without the simulator. InfluxDB is INFLUX_URL's, else the
// local server in the data folder. The ingest and api service accounts are re-keyed on every start
// and their secrets handed to the processes in their environment, unless INGEST_MQTT_PASSWORD or
// API_MQTT_PASSWORD are set. Every other variable passes through (see the README's configuration).
// Ctrl-C or SIGTERM stops the api, then the ingest (flushing its journal), then the broker, then
// InfluxDB; a service that dies stops the others. Each service also starts alone:
// `pnpm start:broker`, `pnpm start:ingest`, `pnpm start:api` (or `node services/<name>/dist/main.js`).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBrokerEnv } from '@coldchain/broker';
import { openMetadataStore } from '@coldchain/store';
import { SERVICE_NODE_ARGS } from './service-node-args.js';
import { provideStackInflux } from './stack-influx.js';

// The data folder's files (secrets, databases, InfluxDB's) are private to the user, as the services require.
process.umask(0o077);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const say = (line: string) => console.error(`[start] ${line}`);

let brokerEnv: ReturnType<typeof readBrokerEnv>;
try {
  brokerEnv = readBrokerEnv(process.env);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const { dataDir } = brokerEnv;

const influx = await provideStackInflux(process.env, dataDir, say);
say(`InfluxDB ${influx.version} at ${influx.url}`);

const store = await openMetadataStore({ databaseUrl: brokerEnv.databaseUrl, file: brokerEnv.metadataFile });
const ingestSecret =
  process.env.INGEST_MQTT_PASSWORD || (await store.provisionServiceAccount('ingest', 'ingest'));
const apiSecret = process.env.API_MQTT_PASSWORD || (await store.provisionServiceAccount('api', 'api'));
await store.close();

const mqttUrl = `mqtt://${brokerEnv.host === '0.0.0.0' ? '127.0.0.1' : brokerEnv.host}:`;
const shared = {
  ...process.env,
  INFLUX_URL: influx.url,
  INFLUX_TOKEN: influx.token,
  INFLUX_ORG: influx.org,
  INFLUX_BUCKET: influx.bucket,
};

interface Service {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}
const services: Service[] = [];
let stopping = false;

/**
 * Starts `services/<name>/dist/main.js`, its log lines (JSON) passed through to stdout, and resolves
 * with the first line that `ready` accepts. Its own process group: a Ctrl-C on the terminal reaches
 * this launcher only, which then stops the services one by one, in order.
 */
function startService(
  name: string,
  env: NodeJS.ProcessEnv,
  ready: (line: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const child = spawn(
    process.execPath,
    [...SERVICE_NODE_ARGS, join(repoRoot, 'services', name, 'dist', 'main.js')],
    {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  services.push({ name, child, exited });
  child.once('exit', (code, signal) => {
    if (stopping) return;
    say(`${name} exited (${signal ?? code}); stopping the others`);
    void stop(1);
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    let found = false;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      process.stdout.write(chunk);
      if (found) return;
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const text of lines) {
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          if (ready(line)) {
            found = true;
            resolve(line);
            return;
          }
        } catch {
          // Not a log line of ours: passed through above, nothing to read from it.
        }
      }
    });
    void exited.then(() => reject(new Error(`${name} exited before it was ready`)));
  });
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const s of [...services].reverse()) {
    if (s.child.exitCode !== null || s.child.signalCode !== null) continue;
    say(`stopping ${s.name}`);
    s.child.kill('SIGTERM');
    const timer = setTimeout(() => s.child.kill('SIGKILL'), 20_000);
    await s.exited;
    clearTimeout(timer);
  }
  await influx.stop();
  say('stopped');
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(0));
// Should this process itself be killed, its services do not outlive it.
process.once('exit', () => {
  for (const s of services) if (s.child.exitCode === null) s.child.kill('SIGKILL');
});

try {
  const broker = await startService('broker', shared, (l) => typeof l.port === 'number');
  const url = `${mqttUrl}${broker.port}`;
  await startService(
    'ingest',
    { ...shared, MQTT_URL: url, INGEST_MQTT_PASSWORD: ingestSecret },
    (l) => typeof l.metricsPort === 'number',
  );
  const api = await startService(
    'api',
    { ...shared, MQTT_URL: url, API_MQTT_PASSWORD: apiSecret },
    (l) => typeof l.port === 'number' && /listening/.test(String(l.msg)),
  );
  say(`running: MQTT ${url}, HTTP API http://${String(api.host)}:${String(api.port)}/v1 (docs /v1/docs)`);
} catch (err) {
  say((err as Error).message);
  await stop(1);
}
