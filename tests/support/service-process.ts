import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { SERVICE_NODE_ARGS } from '../../scripts/service-node-args.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface LogLine {
  level?: number;
  msg?: string;
  [key: string]: unknown;
}

/** A service of ours running as its own OS process, as in production, with its JSON log lines. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGKILL: no shutdown code runs. */
  kill(): Promise<void>;
  /** SIGTERM and wait for exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** Calls `onLine` with each line the stream carries, parsed as JSON (a line that is not: `{ msg }`). */
export function onLogLines(stream: Readable | null, onLine: (line: LogLine) => void): void {
  let buffered = '';
  stream?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const text of lines) {
      if (!text.trim()) continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      onLine(line);
    }
  });
}

let serviceNodeArgs: readonly string[] = SERVICE_NODE_ARGS;

/** Starts the services of this process from now on with these flags instead of production's (a benchmark's comparison). */
export function replaceServiceNodeArgs(args: readonly string[]): void {
  serviceNodeArgs = args;
}

/**
 * Starts `services/<name>/src/main.ts` from source with the given environment, or with `built`
 * the compiled `dist/main.js` (after `tsc -b`), as production runs it — benchmarks use that.
 * `nodeArgs` go to node before the entry (e.g. `--cpu-prof`), after the flags production starts the
 * services with (`SERVICE_NODE_ARGS`, unless `replaceServiceNodeArgs` changed them).
 */
export function startService(
  name: string,
  env: Record<string, string>,
  opts: { built?: boolean; nodeArgs?: string[] } = {},
): ServiceProcess {
  // node itself, with tsx as a loader (not the tsx CLI, which would put a second process between
  // the test and the service, and a SIGKILL would then hit the wrong one).
  const entry = opts.built
    ? [join(repoRoot, 'services', name, 'dist', 'main.js')]
    : ['--conditions=source', '--import', 'tsx', join(repoRoot, 'services', name, 'src', 'main.ts')];
  const child = spawn(process.execPath, [...serviceNodeArgs, ...(opts.nodeArgs ?? []), ...entry], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters: Array<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  let stderr = '';
  onLogLines(child.stdout, (line) => {
    logs.push(line);
    for (const w of [...waiters]) {
      if (w.match(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  return {
    child,
    logs,
    waitForLog(match, timeoutMs = 30_000) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`${name}: no matching log line in ${timeoutMs} ms; stderr:\n${stderr}`));
        }, timeoutMs);
        const onExit = () => reject(new Error(`${name} exited (${child.exitCode}); stderr:\n${stderr}`));
        child.once('exit', onExit);
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer);
            child.off('exit', onExit);
            resolve(l);
          },
        });
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}
