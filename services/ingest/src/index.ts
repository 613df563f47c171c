export { type AcceptedMessage, createIngest, type Ingest, type IngestDeps } from './create-ingest.js';
export { type IngestEnv, readIngestEnv } from './env.js';
export { createMetrics, type IngestMetrics, renderPrometheus } from './metrics.js';
export { type RunningIngest, startIngest } from './start-ingest.js';
