#!/usr/bin/env node
import { pino } from 'pino';
import { readBrokerEnv } from './env.js';
import { startBroker } from './start-broker.js';

let env: ReturnType<typeof readBrokerEnv>;
try {
  env = readBrokerEnv();
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const log = pino({ name: 'broker', level: env.logLevel });
const running = await startBroker(env, log);
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
