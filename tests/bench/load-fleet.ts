import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../support/service-process.js';
import { onCleanup } from './cleanup.js';
import {
  addCounts,
  type DeviceCredentials,
  emptyCounts,
  type FromWorker,
  type LoadCounts,
  type ToWorker,
} from './load-protocol.js';
import { nextMessage } from './worker-message.js';

const WORKER = join(repoRoot, 'tests', 'bench', 'load-worker.ts');

/** Device clients spread over load worker processes, driven as one. */
export interface Fleet {
  readonly workerPids: number[];
  /** From the first connection attempt to the last one's end (the workers' start-up excluded). */
  readonly connectSeconds: number;
  /** The latest counts the workers reported (a fraction of a second old). */
  counts(): LoadCounts;
  /** Counts asked for now, for the edges of a measuring window. */
  snapshot(): Promise<LoadCounts>;
  startPublishing(window: number): void;
  /** Stops publishing, waits for outstanding PUBACKs, disconnects; the final counts. Safe to call twice. */
  stop(): Promise<LoadCounts>;
}

export interface FleetOptions {
  url: string;
  devices: DeviceCredentials[];
  workers: number;
  /** Connection attempts in flight at once, per worker. */
  concurrencyPerWorker: number;
  connectTimeoutMs: number;
  /** How long connecting everything may take before the benchmark gives up. */
  deadlineMs: number;
  onProgress?: (counts: LoadCounts) => void;
}

interface Worker {
  child: ChildProcess;
  latest: LoadCounts;
  exited: Promise<void>;
}

/** Starts the workers and connects every device; resolves once each connection attempt is over. */
export async function connectFleet(opts: FleetOptions): Promise<Fleet> {
  const shares = split(opts.devices, opts.workers);
  const workers: Worker[] = shares.map(() => {
    const child = fork(WORKER, [], {
      cwd: repoRoot,
      // Plain node with tsx as a loader, so the pid we know is the process doing the work.
      execArgv: ['--conditions=source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return { child, latest: emptyCounts(), exited };
  });
  const kill = async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
  };
  const forget = onCleanup(kill);
  const total = () => workers.map((w) => w.latest).reduce(addCounts, emptyCounts());
  const next = (w: Worker, type: FromWorker['type'], timeoutMs: number) =>
    nextMessage<FromWorker, typeof type>(w.child, type, timeoutMs).then((m) => m.counts);

  for (const w of workers) {
    w.child.on('message', (m: FromWorker) => {
      w.latest = m.counts;
    });
  }
  const progress = opts.onProgress ? setInterval(() => opts.onProgress?.(total()), 1_000) : undefined;
  let connectSeconds = 0;
  try {
    await Promise.all(workers.map((w) => next(w, 'ready', 30_000)));
    const connectStart = performance.now();
    await Promise.all(
      workers.map((w, i) => {
        const connected = next(w, 'connected', opts.deadlineMs);
        send(w, {
          type: 'connect',
          url: opts.url,
          devices: shares[i] ?? [],
          concurrency: opts.concurrencyPerWorker,
          connectTimeoutMs: opts.connectTimeoutMs,
        });
        return connected;
      }),
    );
    connectSeconds = (performance.now() - connectStart) / 1000;
  } catch (err) {
    await kill();
    forget();
    throw err;
  } finally {
    clearInterval(progress);
  }

  let stopping: Promise<LoadCounts> | undefined;
  return {
    workerPids: workers.map((w) => w.child.pid ?? 0),
    connectSeconds,
    counts: total,
    async snapshot() {
      const answers = workers.map((w) => next(w, 'snapshot', 5_000));
      for (const w of workers) send(w, { type: 'snapshot' });
      return (await Promise.all(answers)).reduce(addCounts, emptyCounts());
    },
    startPublishing(window) {
      for (const w of workers) send(w, { type: 'publish', window });
    },
    stop() {
      stopping ??= (async () => {
        try {
          const answers = workers.map((w) => next(w, 'stopped', 30_000));
          for (const w of workers) send(w, { type: 'stop' });
          return (await Promise.all(answers)).reduce(addCounts, emptyCounts());
        } finally {
          // Stopped workers exit by themselves; give them a moment before making sure.
          await Promise.race([Promise.all(workers.map((w) => w.exited)), sleep(2_000)]);
          await kill();
          forget();
        }
      })();
      return stopping;
    },
  };
}

function send(w: Worker, message: ToWorker): void {
  w.child.send(message);
}

/** `items` in `parts` contiguous shares of nearly equal size. */
function split<T>(items: T[], parts: number): T[][] {
  const size = Math.ceil(items.length / parts);
  return Array.from({ length: parts }, (_, i) => items.slice(i * size, (i + 1) * size)).filter(
    (share) => share.length > 0,
  );
}
