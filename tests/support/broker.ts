import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type DeviceKind, openMetadataStore } from '@coldchain/store';
import { repoRoot, type ServiceProcess, startService } from './service-process.js';

const run = promisify(execFile);

export interface BrokerProcess extends ServiceProcess {
  port: number;
  wsPort: number;
  url: string;
  wsUrl: string;
}

/** Starts the broker as its own process on free loopback ports, data in `dataDir`. */
export async function startBrokerProcess(
  dataDir: string,
  env: Record<string, string> = {},
  opts: { built?: boolean; nodeArgs?: string[] } = {},
): Promise<BrokerProcess> {
  const service = startService(
    'broker',
    { COLDCHAIN_DATA_DIR: dataDir, MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', MQTT_WS_PORT: '0', ...env },
    opts,
  );
  const ready = await service.waitForLog((l) => typeof l.port === 'number' && typeof l.wsPort === 'number');
  const port = ready.port as number;
  const wsPort = ready.wsPort as number;
  return Object.assign(service, {
    port,
    wsPort,
    url: `mqtt://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
  });
}

/** Restarts a broker on the same ports and data folder (after a kill or stop); `env` as at its start. */
export async function restartBrokerProcess(
  dataDir: string,
  previous: BrokerProcess,
  env: Record<string, string> = {},
): Promise<BrokerProcess> {
  return startBrokerProcess(dataDir, {
    ...env,
    MQTT_PORT: String(previous.port),
    MQTT_WS_PORT: String(previous.wsPort),
  });
}

export interface Credentials {
  username: string;
  password: string;
}

/** Provisions devices and service accounts in the broker's metadata store, as the provisioning CLI does. */
export async function provision(
  dataDir: string,
  spec: {
    devices?: Array<string | { id: string; kind: DeviceKind }>;
    services?: Array<{ id: string; role: 'ingest' | 'api' }>;
  },
  /** A PostgreSQL store (`COLDCHAIN_DATABASE_URL`) instead of SQLite in `dataDir`. */
  databaseUrl?: string,
): Promise<Record<string, Credentials>> {
  const store = await openMetadataStore({ databaseUrl, file: join(dataDir, 'metadata.db') });
  const out: Record<string, Credentials> = {};
  try {
    for (const d of spec.devices ?? []) {
      const { id, kind } = typeof d === 'string' ? { id: d, kind: 'logger' as const } : d;
      out[id] = { username: id, password: (await store.provisionDevice({ id, kind })).secret };
    }
    for (const s of spec.services ?? []) {
      out[s.id] = { username: s.id, password: await store.provisionServiceAccount(s.id, s.role) };
    }
  } finally {
    await store.close();
  }
  return out;
}

/** Runs the provisioning CLI (`services/broker/src/provision.ts`) against a data folder, as an operator would. */
export async function runProvisionCli(
  dataDir: string,
  args: string[],
): Promise<{ stdout: string; stderr: string }> {
  const entry = join(repoRoot, 'services', 'broker', 'src', 'provision.ts');
  return run(process.execPath, ['--conditions=source', '--import', 'tsx', entry, ...args], {
    cwd: repoRoot,
    env: { ...process.env, COLDCHAIN_DATA_DIR: dataDir },
  });
}
