export {
  COPIED_TABLES,
  type CopiedTable,
  type CopyCounts,
  type CopyProgress,
  type CopySqliteToPostgresOptions,
  copySqliteToPostgres,
  StoreCopyError,
} from './copy-store.js';
export { generateSecret, hashSecret, verifySecret } from './credentials.js';
export {
  type Alert,
  type AlertComment,
  type AlertFilter,
  type AlertInput,
  type AlertStatus,
  type AlertUpsert,
  API_ROLES,
  type ApiRole,
  type ApiToken,
  type ApiUser,
  type CustodyEnd,
  type CustodyLeg,
  type NewShipment,
  SHIPMENT_STATUSES,
  SHIPMENT_TRANSITIONS,
  type Shipment,
  type ShipmentFilter,
  type ShipmentStatus,
  type WebhookDelivery,
} from './domain-records.js';
export { POSTGRES_MIGRATIONS } from './impl/postgres-migrations.js';
export type { PostgresStoreOptions } from './impl/postgres-store.js';
export { DEAD_LETTER_PAYLOAD_BYTES, DEFAULT_DEAD_LETTER_LIMITS } from './impl/sqlite-dead-letters.js';
export { SQLITE_MIGRATIONS } from './impl/sqlite-migrations.js';
export { createSqliteStore, type SqliteStoreOptions } from './impl/sqlite-store.js';
export { type OpenMetadataStoreOptions, openMetadataStore } from './open-store.js';
export type {
  NewReportRevision,
  NewShareLink,
  NewShipmentReceipt,
  ReadingChanges,
  ReadingRef,
  ReadingValueChange,
  ReadingValues,
  ReportRevision,
  ReportRevisionWithLines,
  RevisionChanges,
  RevisionExcursion,
  ShareLink,
  ShipmentReceipt,
} from './report-records.js';
export {
  DEVICE_KINDS,
  type DeadLetter,
  type DeadLetterLimits,
  type DeadLetterStats,
  type Device,
  type DeviceKind,
  type MetadataStore,
  type NewDeadLetter,
  type Principal,
  type ServiceRole,
} from './store.js';
export { StoreError } from './store-error.js';
