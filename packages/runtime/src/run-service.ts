import { type Logger, pino } from 'pino';

export interface RunServiceOptions<E extends { logLevel: string }> {
  name: string;
  /** Parses the environment; throws with a message naming each bad variable. */
  readEnv: () => E;
  /** Starts the service; what it returns is closed, in order, on SIGINT or SIGTERM. */
  start: (env: E, log: Logger) => Promise<{ close(): Promise<void> }>;
}

/**
 * A service's `main`: configuration is read once and a bad value stops the process with exit code
 * 2 and the message; a failed start logs why and exits 1; a signal runs the service's orderly shutdown, then exits (1 if it failed).
 */
export async function runService<E extends { logLevel: string }>(opts: RunServiceOptions<E>): Promise<void> {
  let env: E;
  try {
    env = opts.readEnv();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const log = pino({ name: opts.name, level: env.logLevel });
  let running: { close(): Promise<void> };
  try {
    running = await opts.start(env, log);
  } catch (err) {
    // A dependency that is not there (a database, a port in use): one clear line, exit code 1.
    log.fatal({ err }, `could not start: ${(err as Error).message}`);
    process.exit(1);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'shutting down');
      running.close().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
