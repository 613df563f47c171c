#!/usr/bin/env node
import { runService } from '@coldchain/runtime';
import { readIngestEnv } from './env.js';
import { startIngest } from './start-ingest.js';

await runService({ name: 'ingest', readEnv: () => readIngestEnv(), start: startIngest });
