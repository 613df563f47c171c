import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir } from '@coldchain/influx';
import { repoRoot } from '../support/service-process.js';
import { grouped, watchForUnexpectedExit } from './broker-under-test.js';
import { onCleanup } from './cleanup.js';
import { type TelegrafConfigOptions, telegrafConfig } from './telegraf-config.js';

/** The Telegraf release the reference stack is built from, once per machine (build-telegraf.sh). */
export const TELEGRAF_VERSION = 'v1.37.2';

/** The `telegraf` binary in the per-machine cache, built from its Go module when missing. */
export function ensureTelegraf(say: (line: string) => void): string {
  const cacheDir = defaultCacheDir(process.env);
  say(`telegraf: looking in ${cacheDir} (built once per machine from its Go module when missing)`);
  const out = execFileSync('bash', [join(repoRoot, 'tests', 'bench', 'build-telegraf.sh')], {
    env: { ...process.env, COLDCHAIN_CACHE_DIR: cacheDir, TELEGRAF_VERSION },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const binary = out.trim().split('\n').at(-1);
  if (!binary) throw new Error('build-telegraf.sh printed no binary');
  return binary;
}

export function telegrafVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return /Telegraf (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? 'unknown';
}

/** Telegraf as the benchmark drives it: stopped in order, or killed to see what survives. */
export interface TelegrafUnderTest {
  readonly pid: number;
  /** Errors and warnings Telegraf logged, grouped: `count × message`. */
  problems(): string[];
  /** SIGTERM (Telegraf flushes its buffer first), SIGKILL after a grace period. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL: nothing is flushed. */
  kill(): Promise<void>;
}

/**
 * Starts Telegraf with a generated configuration in `dir`; resolves once it logged its connection
 * to the broker (the subscription follows at once), or fails with what it printed.
 */
export async function startTelegraf(
  binary: string,
  dir: string,
  opts: TelegrafConfigOptions,
): Promise<TelegrafUnderTest> {
  const confFile = join(dir, `telegraf-${opts.settings}.conf`);
  writeFileSync(confFile, telegrafConfig(opts), { mode: 0o600 });
  // The configuration uses no environment variables: strict handling (1.38's default) says so.
  const child = spawn(binary, ['--config', confFile, '--strict-env-handling'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // No config directory of the machine's own Telegraf, if there is one.
    env: { PATH: process.env.PATH ?? '', HOME: dir },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const unexpectedExit = watchForUnexpectedExit(child);
  let output = '';
  const onOutput = (chunk: string) => {
    output = (output + chunk).slice(-64_000);
  };
  child.stdout.setEncoding('utf8').on('data', onOutput);
  child.stderr.setEncoding('utf8').on('data', onOutput);
  const end = async (signal: NodeJS.Signals) => {
    unexpectedExit.expect();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= end('SIGTERM');
    return stopping;
  };
  const forget = onCleanup(stop);
  try {
    await untilOutput(() => output, /Connected \[/, exited, 20_000);
  } catch (err) {
    await stop();
    forget();
    throw new Error(`telegraf did not connect: ${(err as Error).message}\n${output.slice(-4000)}`);
  }
  return {
    pid: child.pid ?? 0,
    problems: () =>
      grouped([
        ...output
          .split('\n')
          .filter((l) => /\s[EW]! /.test(l))
          // Timestamps and ids make every line unique: grouped by what follows the level.
          .map((l) => l.replace(/^\S+\s+/, '').slice(0, 200)),
        ...unexpectedExit.problems(),
      ]),
    async stop() {
      await stop();
      forget();
    },
    async kill() {
      stopping ??= end('SIGKILL');
      await stopping;
      forget();
    },
  };
}

async function untilOutput(
  output: () => string,
  pattern: RegExp,
  exited: Promise<void>,
  timeoutMs: number,
): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(output())) {
    if (gone) throw new Error('the process exited');
    if (Date.now() > deadline) throw new Error(`no "${pattern.source}" after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
