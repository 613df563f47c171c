import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The InfluxDB OSS release the project builds when no `influxd` is installed. */
export const INFLUXD_VERSION = 'v2.7.12';

/** Where an InfluxDB server can be reached, and with what. */
export interface InfluxConnection {
  url: string;
  token: string;
  org: string;
  bucket: string;
}

export interface LocalInflux extends InfluxConnection {
  /** What the server reports as its version, e.g. `v2.7.12`. */
  version: string;
  pid: number;
  dataDir: string;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period). Safe to call twice. */
  stop(): Promise<void>;
}

export type Progress = (line: string) => void;

/** Default per-machine cache folder for the built server: outside any checkout, shared by all of them. */
export function defaultCacheDir(env: { XDG_CACHE_HOME?: string; COLDCHAIN_CACHE_DIR?: string } = {}): string {
  return env.COLDCHAIN_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coldchain');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds `influxd` on PATH, then in the project's cache; null when neither has one. */
export function findInfluxd(opts: { cacheDir: string; path?: string }): string | null {
  for (const dir of (opts.path ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'influxd'))) return join(dir, 'influxd');
  }
  const cached = join(opts.cacheDir, `influxdb-${INFLUXD_VERSION}`, 'bin', 'influxd');
  return isExecutable(cached) ? cached : null;
}

const buildScript = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'build-influxd.sh');

/**
 * Returns a runnable `influxd`: one on PATH or in the cache, or builds InfluxDB OSS from its Go
 * module into the cache (once per machine; a lock makes concurrent callers wait for one build).
 */
export async function ensureInfluxd(opts: {
  cacheDir: string;
  path?: string;
  progress?: Progress;
}): Promise<string> {
  const found = findInfluxd(opts);
  if (found) return found;
  const progress = opts.progress ?? ((line) => process.stderr.write(`${line}\n`));
  progress(
    `influxd not found on PATH or in ${opts.cacheDir}: building InfluxDB OSS ${INFLUXD_VERSION} (once per machine)`,
  );
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [buildScript], {
      env: { ...process.env, COLDCHAIN_CACHE_DIR: opts.cacheDir, INFLUXD_VERSION },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let tail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-4000);
      for (const line of chunk.split('\n')) if (line.trim()) progress(line);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`building influxd failed (exit ${code}):\n${tail}`)),
    );
  });
  const built = findInfluxd({ cacheDir: opts.cacheDir });
  if (!built) throw new Error(`the influxd build finished but ${opts.cacheDir} holds no binary`);
  return built;
}

/** A free TCP port on loopback, chosen by the OS. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`influxd exited with code ${child.exitCode} before it was healthy`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { status?: string; version?: string };
      if (res.ok && body.status === 'pass') return body.version ?? 'unknown';
      lastError = `status ${res.status}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`influxd at ${url} not healthy after ${timeoutMs} ms: ${lastError}`);
}

interface StoredSetup {
  token: string;
  org: string;
  bucket: string;
}

/**
 * Runs InfluxDB's non-interactive first-time setup (POST /api/v2/setup) once per data folder and
 * keeps the generated operator token in the data folder, so a restart reuses it.
 */
async function ensureSetup(
  url: string,
  dataDir: string,
  defaults: { org: string; bucket: string },
): Promise<StoredSetup> {
  const file = join(dataDir, 'credentials.json');
  if (existsSync(file)) {
    await chmod(file, 0o600); // an earlier release may have left it readable by others
    return JSON.parse(await readFile(file, 'utf8')) as StoredSetup;
  }
  const status = (await (await fetch(`${url}/api/v2/setup`)).json()) as { allowed?: boolean };
  if (!status.allowed) {
    throw new Error(
      `InfluxDB in ${dataDir} is already set up but ${file} is missing: remove the folder or restore the file`,
    );
  }
  const setup: StoredSetup = { token: randomBytes(32).toString('base64url'), ...defaults };
  const res = await fetch(`${url}/api/v2/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: 'coldchain',
      // InfluxDB wants a password of at least 8 characters; nobody logs in with it, the token is used.
      password: randomBytes(18).toString('base64url'),
      org: setup.org,
      bucket: setup.bucket,
      token: setup.token,
      retentionPeriodSeconds: 0,
    }),
  });
  if (!res.ok) throw new Error(`InfluxDB setup failed: ${res.status} ${await res.text()}`);
  await writeFile(file, JSON.stringify(setup, null, 2), { mode: 0o600 });
  return setup;
}

export interface StartLocalInfluxOptions {
  binary: string;
  dataDir: string;
  /** 0 or unset: a free port. */
  port?: number;
  org?: string;
  bucket?: string;
  startTimeoutMs?: number;
}

/**
 * Starts `influxd` on loopback with its data in `dataDir` (bolt, engine, sqlite, log), sets it up
 * on first start and waits until `/health` passes.
 */
export async function startLocalInflux(opts: StartLocalInfluxOptions): Promise<LocalInflux> {
  // Owner only: the folder holds the operator token and every reading (influxd itself follows the umask).
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  await chmod(opts.dataDir, 0o700);
  const port = opts.port || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const log = createWriteStream(join(opts.dataDir, 'influxd.log'), { flags: 'a', mode: 0o600 });
  const child = spawn(
    opts.binary,
    [
      `--http-bind-address=127.0.0.1:${port}`,
      `--bolt-path=${join(opts.dataDir, 'influxd.bolt')}`,
      `--engine-path=${join(opts.dataDir, 'engine')}`,
      `--sqlite-path=${join(opts.dataDir, 'influxd.sqlite')}`,
      '--reporting-disabled',
      '--log-level=warn',
    ],
    // Its own process group: a Ctrl-C in the terminal reaches our process, which stops the
    // server last, after the ingest has flushed to it, instead of reaching the server at once.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Outside the terminal's process group it would outlive a process that exits without `stop`.
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    })();
    return stopping;
  };
  try {
    const version = await waitForHealth(url, child, opts.startTimeoutMs ?? 60_000);
    const setup = await ensureSetup(url, opts.dataDir, {
      org: opts.org ?? 'coldchain',
      bucket: opts.bucket ?? 'telemetry',
    });
    return { url, ...setup, version, pid: child.pid ?? -1, dataDir: opts.dataDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface ProvideInfluxOptions {
  /** An existing server; when set, nothing is started. */
  external?: InfluxConnection | undefined;
  /** The local server's data folder (used when `external` is unset). */
  dataDir: string;
  cacheDir: string;
  /** PATH to look for an installed `influxd` on. */
  path: string;
  port?: number;
  progress?: Progress;
}

export interface ProvidedInflux extends InfluxConnection {
  version: string;
  /** Where it came from: `external`, or the local binary's path. */
  origin: string;
  stop(): Promise<void>;
}

/**
 * DESIGN.md §3 "Local InfluxDB": an external server when configured, otherwise a local one from
 * PATH or the cache, built once per machine when there is none.
 */
export async function provideInflux(opts: ProvideInfluxOptions): Promise<ProvidedInflux> {
  if (opts.external) {
    const res = await fetch(`${opts.external.url}/health`).catch((err: Error) => {
      throw new Error(`InfluxDB at ${opts.external?.url} is not reachable: ${err.message}`);
    });
    const body = (await res.json().catch(() => ({}))) as { version?: string };
    return { ...opts.external, version: body.version ?? 'unknown', origin: 'external', stop: async () => {} };
  }
  const binary = await ensureInfluxd(opts);
  const server = await startLocalInflux({
    binary,
    dataDir: opts.dataDir,
    ...(opts.port === undefined ? {} : { port: opts.port }),
  });
  return { ...server, origin: binary };
}
