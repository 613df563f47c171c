export { makeDataDirPrivate } from './private-data-dir.js';
export { createProcessMetrics } from './process-metrics.js';
export { type RunServiceOptions, runService } from './run-service.js';
export { influxEnv, logLevelEnv, parseServiceEnv, profilesEnv, storeEnv } from './service-env.js';
