#!/usr/bin/env node
import { pino } from 'pino';
import { readIngestEnv } from './env.js';
import { startIngest } from './start-ingest.js';

let env: ReturnType<typeof readIngestEnv>;
try {
  env = readIngestEnv();
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const log = pino({ name: 'ingest', level: env.logLevel });
const running = await startIngest(env, log);
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
