import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@coldchain/influx';
import { TELEMETRY_TOPIC_FILTER, TOPIC_PREFIX } from '@coldchain/schema';
import type { Credentials } from '../support/broker.js';
import { repoRoot } from '../support/service-process.js';
import { type BrokerUnderTest, grouped, watchForUnexpectedExit } from './broker-under-test.js';
import { onCleanup } from './cleanup.js';
import type { DeviceCredentials } from './load-protocol.js';

const MOSQUITTO = '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD = 'mosquitto_passwd';

/** Installs Debian's mosquitto and mosquitto-clients when missing, as the test command does. */
export function ensureMosquitto(): void {
  const hasPasswd = spawnSync('sh', ['-c', `command -v ${MOSQUITTO_PASSWD}`]).status === 0;
  if (existsSync(MOSQUITTO) && hasPasswd) return;
  execFileSync('bash', [join(repoRoot, 'scripts', 'ensure-test-tools.sh')], { stdio: 'inherit' });
}

export function mosquittoVersion(): string {
  // `mosquitto -h` prints its version on the first line (and exits non-zero).
  const out = spawnSync(MOSQUITTO, ['-h'], { encoding: 'utf8' });
  return /version (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? 'unknown';
}

export interface MosquittoAuth {
  passwordFile: string;
  aclFile: string;
}

/**
 * The same rules our broker enforces, as far as Mosquitto's ACL file can say them: every client
 * authenticates; a device (username = device id) writes only under its own topics and reads its
 * own commands; the ingest account reads every device's telemetry.
 */
export function writeMosquittoAuth(
  dir: string,
  devices: DeviceCredentials[],
  ingest: Credentials,
): MosquittoAuth {
  const passwordFile = join(dir, 'passwd');
  const aclFile = join(dir, 'acl');
  const lines = [...devices.map((d) => `${d.id}:${d.password}`), `${ingest.username}:${ingest.password}`];
  writeFileSync(passwordFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  // One pass over the whole file: hashing user by user (`-b`) starts a process per user.
  execFileSync(MOSQUITTO_PASSWD, ['-U', passwordFile]);
  writeFileSync(
    aclFile,
    [
      `pattern write ${TOPIC_PREFIX}/devices/%u/#`,
      `pattern read ${TOPIC_PREFIX}/devices/%u/commands`,
      `user ${ingest.username}`,
      `topic read ${TELEMETRY_TOPIC_FILTER}`,
      '',
    ].join('\n'),
  );
  return { passwordFile, aclFile };
}

/**
 * Mosquitto with its own generated configuration on a free loopback port. `defaults` keeps
 * Mosquitto's own queue limits (the ingest benchmark's loss rows with every stack's defaults).
 */
export async function startMosquitto(
  dir: string,
  auth: MosquittoAuth,
  opts: { settings?: 'tuned' | 'defaults'; port?: number } = {},
): Promise<BrokerUnderTest> {
  const port = opts.port ?? (await freePort());
  const tuned = opts.settings !== 'defaults';
  const confFile = join(dir, 'mosquitto.conf');
  writeFileSync(
    confFile,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${auth.passwordFile}`,
      `acl_file ${auth.aclFile}`,
      // Stay the user we are: as root, Mosquitto would switch to `mosquitto` and lose our files.
      `user ${userInfo().username}`,
      'persistence false',
      // Like Aedes, no limit on QoS 1 messages in flight to one subscriber (default 20: under load
      // the ingest then receives a few hundred messages/s while the queue grows) and no dropping
      // of queued ones (default: beyond 1000, silently). Both brokers must deliver what they
      // acknowledged.
      ...(tuned ? ['max_inflight_messages 0', 'max_queued_messages 0'] : []),
      'connection_messages false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_timestamp false',
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO, ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const unexpectedExit = watchForUnexpectedExit(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-64_000);
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    unexpectedExit.expect();
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    })();
    return stopping;
  };
  const forget = onCleanup(stop);
  try {
    await untilListening(port, exited, 10_000);
  } catch (err) {
    await stop();
    forget();
    throw new Error(`mosquitto did not start: ${(err as Error).message}\n${stderr}`);
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    problems: () =>
      grouped([
        ...stderr
          .split('\n')
          // Expected here: the benchmark runs as whoever started it, root included.
          .filter((l) => /error|warning/i.test(l) && !/run as root/.test(l)),
        ...unexpectedExit.problems(),
      ]),
    async stop() {
      await stop();
      forget();
    },
  };
}

async function untilListening(port: number, exited: Promise<void>, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error('the process exited');
    const open = await new Promise<boolean>((resolve) => {
      const socket = connectTcp(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`port ${port} not open after ${timeoutMs} ms`);
}
