#!/usr/bin/env node
import { runService } from '@coldchain/runtime';
import { readBrokerEnv } from './env.js';
import { startBroker } from './start-broker.js';

await runService({
  name: 'broker',
  readEnv: () => readBrokerEnv(),
  start: (env, log) => startBroker(env, log),
});
