export { generateSecret, hashSecret, verifySecret } from './credentials.js';
export type {
  Alert,
  AlertInput,
  AlertStatus,
  AlertUpsert,
  CustodyLeg,
  Shipment,
  WebhookDelivery,
} from './domain-records.js';
export {
  createSqliteStore,
  DEAD_LETTER_PAYLOAD_BYTES,
  type SqliteStoreOptions,
} from './impl/sqlite-store.js';
export {
  DEVICE_KINDS,
  type DeadLetter,
  type Device,
  type DeviceKind,
  type MetadataStore,
  type NewDeadLetter,
  type Principal,
  type ServiceRole,
} from './store.js';
