export {
  ALERT_EVENTS,
  type AlertEvent,
  alertEventSchema,
  alertSchema,
  parseAlertEvent,
} from './alert.js';
export * from './api/index.js';
export type { ParseOptions } from './batch-message.js';
export { type CustodyChange, custodyChangeSchema, parseCustodyChange } from './custody-change.js';
export {
  type AlarmEvent,
  type DeviceEvent,
  type DoorEvent,
  POWER_STATES,
  type PowerEvent,
  type PowerState,
  SCAN_ACTIONS,
  type ScanAction,
  type ScanEvent,
} from './device-event.js';
export { type EventsMessage, parseEvents } from './events.js';
export { deviceIdSchema, isValidDeviceId, isValidShipmentId, shipmentIdSchema } from './ids.js';
export {
  type BatchedMessage,
  decodeIngestBatch,
  encodeIngestBatch,
  INGEST_BATCH_OFFER_TOPIC,
  INGEST_BATCH_TOPIC,
  type IngestBatch,
  ingestBatchId,
} from './ingest-batch.js';
export {
  ALARM_CODE_PATTERN,
  BATTERY_RANGE_PCT,
  DEVICE_ID_PATTERN,
  LAT_RANGE_DEG,
  LON_RANGE_DEG,
  MAX_ALARM_MESSAGE_LENGTH,
  MAX_BATCH_EVENTS,
  MAX_BATCH_READINGS,
  MAX_FUTURE_SKEW_MS,
  MAX_JSON_DEPTH,
  MAX_PAST_AGE_MS,
  MAX_PAYLOAD_BYTES,
  MAX_PROBLEMS,
  MAX_SCANNED_BY_LENGTH,
  MAX_SENSORS,
  MAX_SEQ,
  type Range,
  RH_RANGE_PCT,
  SENSOR_NAME_PATTERN,
  SHIPMENT_ID_PATTERN,
  TEMP_RANGE_C,
  WIRE_VERSION,
} from './limits.js';
export { type ParseResult, PROBLEM_CODES, type Problem, type ProblemCode } from './problem.js';
export type { Reading } from './reading.js';
export { DEVICE_STATUSES, type DeviceStatus, parseStatus } from './status.js';
export { parseTelemetry, type TelemetryMessage } from './telemetry.js';
export {
  alertTopicForDevice,
  alertTopicForShipment,
  alertTopics,
  CUSTODY_TOPIC_FILTER,
  custodyTopicForShipment,
  DEVICE_ALERTS_TOPIC_FILTER,
  DEVICE_TOPIC_KINDS,
  type DeviceTopic,
  type DeviceTopicKind,
  EVENTS_TOPIC_FILTER,
  formatDeviceTopic,
  parseCustodyTopic,
  parseDeviceTopic,
  SHIPMENT_ALERTS_TOPIC_FILTER,
  STATUS_TOPIC_FILTER,
  TELEMETRY_TOPIC_FILTER,
  TOPIC_PREFIX,
} from './topics.js';
