import type { ChildProcess } from 'node:child_process';
import { startBrokerProcess } from '../support/broker.js';
import { onCleanup } from './cleanup.js';
import { processName } from './proc-stats.js';

/** A broker process the benchmark drives and measures. */
export interface BrokerUnderTest {
  readonly url: string;
  /** The broker process itself (not a wrapper), for /proc readings. */
  readonly pid: number;
  /** Warnings and errors the broker logged so far, grouped: `count × message`. */
  problems(): string[];
  /** Stops the broker. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Our broker from source, as its own node process (tests/support starts node with tsx as a loader,
 * so the child pid is the broker's). `env` adds to the broker's configuration, `nodeArgs` go to node.
 */
export async function startColdchainBroker(
  dataDir: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<BrokerUnderTest> {
  // The compiled broker, as production runs it (`pnpm bench:broker` builds first).
  const service = await startBrokerProcess(dataDir, env, { built: true, nodeArgs });
  const forget = onCleanup(() => service.stop());
  const pid = service.child.pid ?? 0;
  const unexpectedExit = watchForUnexpectedExit(service.child);
  if (processName(pid) !== 'node') {
    await service.stop();
    throw new Error(`expected the broker's node process at pid ${pid}, found ${processName(pid)}`);
  }
  return {
    url: service.url,
    pid,
    problems: () =>
      grouped([
        // pino levels: 40 warn, 50 error, 60 fatal.
        ...service.logs
          .filter((l) => (l.level ?? 0) >= 40)
          .map((l) => (typeof l.reason === 'string' ? `${l.reason}: ${l.msg}` : (l.msg ?? ''))),
        // main.ts logs this on SIGINT/SIGTERM: a signal the benchmark did not send stops the listeners.
        ...service.logs
          .filter((l) => l.msg === 'shutting down' && !unexpectedExit.expected())
          .map((l) => `shutting down on ${String(l.signal)} from outside the benchmark`),
        ...unexpectedExit.problems(),
      ]),
    async stop() {
      unexpectedExit.expect();
      await service.stop();
      forget();
    },
  };
}

/** Notices a broker process ending before the benchmark stops it (a crash, or a signal from elsewhere). */
export function watchForUnexpectedExit(child: ChildProcess) {
  let expected = false;
  let exit: string | undefined;
  child.once('exit', (code, signal) => {
    if (!expected) exit = `exited unexpectedly (${signal ?? `code ${code}`})`;
  });
  return {
    expect: () => {
      expected = true;
    },
    expected: () => expected,
    problems: () => (exit ? [exit] : []),
  };
}

/** Repeated lines once each, with their count: `3 × message`. */
export function grouped(lines: string[]): string[] {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return [...counts].map(([line, n]) => `${n} × ${line}`);
}
