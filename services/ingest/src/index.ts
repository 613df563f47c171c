export { type AcceptedMessage, createIngest, type Ingest, type IngestDeps } from './create-ingest.js';
export { type IngestEnv, readIngestEnv } from './env.js';
export { createHealthCheck, type HealthReport } from './health.js';
export { createMetrics, createMetricsRegistry, type IngestMetrics } from './metrics.js';
export { type RunningIngest, startIngest } from './start-ingest.js';
