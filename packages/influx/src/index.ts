export {
  createDurableWriter,
  DEFAULT_RETRY,
  type DurableWriter,
  type DurableWriterOptions,
  isMalformedDataError,
  type RetryPolicy,
  retryDelayMs,
  type WriterEvents,
} from './durable-writer.js';
export { newestStoredReadingMs, readDeviceHistory, readStoredFieldSets } from './history-query.js';
export { HistoryQueryError, type HistoryQueryErrorCode } from './history-query-error.js';
export {
  type Every,
  MAX_HISTORY_WINDOWS,
  parseEvery,
  planWindows,
  type WindowBounds,
  type WindowPlan,
} from './history-windows.js';
export { createInfluxProbe, type InfluxProbeOptions, type ProbeResult } from './influx-health.js';
export { type Journal, type JournalOptions, type JournalStats, openJournal } from './journal.js';
export {
  EVENTS_MEASUREMENT,
  eventToLine,
  parseTelemetryLine,
  readingFields,
  readingToLine,
  TELEMETRY_MEASUREMENT,
  telemetryLine,
} from './line-protocol.js';
export {
  defaultCacheDir,
  ensureInfluxd,
  findInfluxd,
  freePort,
  INFLUXD_VERSION,
  type InfluxConnection,
  type LocalInflux,
  type Progress,
  type ProvidedInflux,
  type ProvideInfluxOptions,
  provideInflux,
  type StartLocalInfluxOptions,
  startLocalInflux,
} from './local-server.js';
export {
  type HistoryLeg,
  type HistoryPoint,
  type HistoryWindow,
  type LatestReading,
  type LegTrack,
  legPointsHistoryFlux,
  type PointsPage,
  type PointsQuery,
  readDeviceHistoryCached,
  readLatestReadings,
  readLegPoints,
  readLegTrack,
  readLegWindows,
  type SensorStats,
  type WindowsQuery,
  windowedHistoryFlux,
} from './shipment-history.js';
export {
  type CachedCell,
  type ChunkCache,
  createChunkCache,
  createWindowCellCache,
  type WindowCellCache,
} from './window-cell-cache.js';
export { isTimeZone, localIsoTime, zoneOffsetMs } from './zoned-time.js';
