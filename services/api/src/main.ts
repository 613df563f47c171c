#!/usr/bin/env node
import { runService } from '@coldchain/runtime';
import { readApiEnv } from './env.js';
import { startApi } from './start-api.js';

await runService({ name: 'api', readEnv: () => readApiEnv(), start: startApi });
