/** The message the custody-leg triggers abort with, turned into `StoreError` `custody_overlap`. */
export const CUSTODY_OVERLAP = 'custody_overlap';
/** The message the alert-comment triggers abort with: comments are an audit trail. */
export const COMMENTS_APPEND_ONLY = 'alert comments are append-only';
/** The message the report-revision triggers abort with: an issued revision is evidence. */
export const REVISIONS_APPEND_ONLY = 'report revisions are append-only';

/**
 * Schema versions, applied in order (see applyMigrations); `PRAGMA user_version` records the last one applied. The
 * `dead_letters` table of the first version is where an earlier release kept dead letters; they
 * now have a database of their own (sqlite-dead-letters.ts), which imports and drops this table.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     kind TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL,
     disabled INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE service_accounts (
     id TEXT PRIMARY KEY,
     role TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL
   );
   CREATE TABLE dead_letters (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     device_id TEXT,
     topic TEXT NOT NULL,
     arrived_at_ms INTEGER NOT NULL,
     reason TEXT NOT NULL,
     problems TEXT NOT NULL,
     payload TEXT NOT NULL,
     payload_bytes INTEGER NOT NULL
   );
   CREATE INDEX dead_letters_device ON dead_letters (device_id, id);`,
  `CREATE TABLE shipments (
     id TEXT PRIMARY KEY,
     profile_id TEXT NOT NULL,
     shipper TEXT NOT NULL,
     consignee TEXT NOT NULL,
     description TEXT NOT NULL DEFAULT '',
     created_at_ms INTEGER NOT NULL
   );
   CREATE TABLE custody_legs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     shipment_id TEXT NOT NULL REFERENCES shipments (id),
     device_id TEXT NOT NULL,
     holder TEXT NOT NULL,
     from_ms INTEGER NOT NULL,
     to_ms INTEGER,
     handed_over_by TEXT,
     handover_temp_c REAL
   );
   CREATE INDEX custody_legs_device ON custody_legs (device_id, from_ms);
   CREATE INDEX custody_legs_shipment ON custody_legs (shipment_id, from_ms);
   CREATE TABLE alerts (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     key TEXT NOT NULL UNIQUE,
     rule TEXT NOT NULL,
     severity TEXT NOT NULL,
     shipment_id TEXT,
     device_id TEXT NOT NULL,
     holder TEXT,
     start_ms INTEGER NOT NULL,
     end_ms INTEGER,
     detected_at_ms INTEGER NOT NULL,
     limit_value REAL,
     peak_value REAL,
     peak_ts_ms INTEGER,
     status TEXT NOT NULL DEFAULT 'open',
     acknowledged_by TEXT,
     acknowledged_at_ms INTEGER,
     note TEXT,
     resolved_at_ms INTEGER,
     detail TEXT,
     updated_at_ms INTEGER NOT NULL
   );
   CREATE INDEX alerts_status ON alerts (status, id);
   CREATE INDEX alerts_shipment ON alerts (shipment_id, id);
   CREATE TABLE service_state (
     key TEXT PRIMARY KEY,
     json TEXT NOT NULL,
     updated_at_ms INTEGER NOT NULL
   );`,
  `CREATE TABLE webhook_deliveries (
     id TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     alert_id INTEGER NOT NULL,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     last_error TEXT,
     updated_at_ms INTEGER NOT NULL
   );
   CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, updated_at_ms);`,
  // The breach monitor's timer looks at open legs only.
  'CREATE INDEX custody_legs_open ON custody_legs (from_ms) WHERE to_ms IS NULL;',
  // When a device was last disabled, enabled or given a new secret: the broker disconnects it then.
  `ALTER TABLE devices ADD COLUMN changed_at_ms INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX devices_changed ON devices (changed_at_ms);`,
  // Custody legs of one shipment never overlap, whoever writes them: the database refuses, as
  // PostgreSQL's exclusion constraint does. Legs are half-open [from_ms, to_ms), an open leg runs
  // to the end of time, and an empty leg (from_ms = to_ms, a handover at the instant the leg
  // began) overlaps nothing, as an empty int8range does.
  `CREATE TRIGGER custody_legs_no_overlap_insert BEFORE INSERT ON custody_legs
   WHEN NEW.from_ms < COALESCE(NEW.to_ms, ${Number.MAX_SAFE_INTEGER}) AND EXISTS (
     SELECT 1 FROM custody_legs AS o
     WHERE o.shipment_id = NEW.shipment_id
       AND o.from_ms < COALESCE(o.to_ms, ${Number.MAX_SAFE_INTEGER})
       AND o.from_ms < COALESCE(NEW.to_ms, ${Number.MAX_SAFE_INTEGER})
       AND NEW.from_ms < COALESCE(o.to_ms, ${Number.MAX_SAFE_INTEGER}))
   BEGIN SELECT RAISE(ABORT, '${CUSTODY_OVERLAP}'); END;
   CREATE TRIGGER custody_legs_no_overlap_update BEFORE UPDATE OF shipment_id, from_ms, to_ms ON custody_legs
   WHEN NEW.from_ms < COALESCE(NEW.to_ms, ${Number.MAX_SAFE_INTEGER}) AND EXISTS (
     SELECT 1 FROM custody_legs AS o
     WHERE o.shipment_id = NEW.shipment_id AND o.id != OLD.id
       AND o.from_ms < COALESCE(o.to_ms, ${Number.MAX_SAFE_INTEGER})
       AND o.from_ms < COALESCE(NEW.to_ms, ${Number.MAX_SAFE_INTEGER})
       AND NEW.from_ms < COALESCE(o.to_ms, ${Number.MAX_SAFE_INTEGER}))
   BEGIN SELECT RAISE(ABORT, '${CUSTODY_OVERLAP}'); END;`,
  // What the HTTP API needs. Shipments get a status and journey fields; rows written before take
  // their reference from the id and their goods from the description (which is where they were
  // kept). Legs get where and when a handover was recorded (a late one: after it happened) and
  // how the last leg ended at unloading; older legs say they were recorded when they began.
  `ALTER TABLE shipments ADD COLUMN reference TEXT NOT NULL DEFAULT '';
   ALTER TABLE shipments ADD COLUMN goods TEXT NOT NULL DEFAULT '';
   ALTER TABLE shipments ADD COLUMN origin TEXT;
   ALTER TABLE shipments ADD COLUMN destination TEXT;
   ALTER TABLE shipments ADD COLUMN status TEXT NOT NULL DEFAULT 'planned'
     CHECK (status IN ('planned', 'in_transit', 'delivered', 'closed', 'cancelled'));
   ALTER TABLE shipments ADD COLUMN planned_departure_ms INTEGER;
   ALTER TABLE shipments ADD COLUMN planned_arrival_ms INTEGER;
   ALTER TABLE shipments ADD COLUMN actual_departure_ms INTEGER;
   ALTER TABLE shipments ADD COLUMN actual_arrival_ms INTEGER;
   ALTER TABLE shipments ADD COLUMN updated_at_ms INTEGER NOT NULL DEFAULT 0;
   UPDATE shipments SET reference = id, goods = description, updated_at_ms = created_at_ms;
   CREATE INDEX shipments_created ON shipments (created_at_ms, id);
   CREATE INDEX shipments_shipper ON shipments (shipper, created_at_ms, id);

   ALTER TABLE custody_legs ADD COLUMN place TEXT;
   ALTER TABLE custody_legs ADD COLUMN note TEXT;
   ALTER TABLE custody_legs ADD COLUMN recorded_at_ms INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE custody_legs ADD COLUMN ended_by TEXT;
   ALTER TABLE custody_legs ADD COLUMN end_temp_c REAL;
   ALTER TABLE custody_legs ADD COLUMN end_place TEXT;
   ALTER TABLE custody_legs ADD COLUMN end_note TEXT;
   UPDATE custody_legs SET recorded_at_ms = from_ms;

   ALTER TABLE alerts ADD COLUMN resolved_by TEXT;
   ALTER TABLE alerts ADD COLUMN resolution_note TEXT;
   ALTER TABLE alerts ADD COLUMN assigned_to TEXT;
   -- Resolving used to write its note over the acknowledgement's and, for an alert never
   -- acknowledged, its resolver into acknowledged_by: that note is the resolution's, and that
   -- name the resolver's (an acknowledged one's resolver was not kept).
   UPDATE alerts SET resolution_note = note, note = NULL,
     resolved_by = CASE WHEN acknowledged_at_ms IS NULL THEN acknowledged_by END,
     acknowledged_by = CASE WHEN acknowledged_at_ms IS NULL THEN NULL ELSE acknowledged_by END
   WHERE status = 'resolved';
   CREATE INDEX alerts_device ON alerts (device_id, id);
   CREATE INDEX alerts_updated ON alerts (updated_at_ms, id);

   CREATE TABLE alert_comments (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     alert_id INTEGER NOT NULL REFERENCES alerts (id),
     author TEXT NOT NULL,
     text TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL
   );
   CREATE INDEX alert_comments_alert ON alert_comments (alert_id, id);
   CREATE TRIGGER alert_comments_no_update BEFORE UPDATE ON alert_comments
   BEGIN SELECT RAISE(ABORT, '${COMMENTS_APPEND_ONLY}'); END;
   CREATE TRIGGER alert_comments_no_delete BEFORE DELETE ON alert_comments
   BEGIN SELECT RAISE(ABORT, '${COMMENTS_APPEND_ONLY}'); END;

   CREATE TABLE api_users (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'shipper')),
     shipper TEXT,
     disabled INTEGER NOT NULL DEFAULT 0,
     created_at_ms INTEGER NOT NULL,
     CHECK ((role = 'shipper') = (shipper IS NOT NULL AND shipper <> ''))
   );
   CREATE TABLE api_tokens (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES api_users (id),
     label TEXT NOT NULL,
     token_hash TEXT NOT NULL UNIQUE,
     created_at_ms INTEGER NOT NULL,
     expires_at_ms INTEGER,
     revoked_at_ms INTEGER
   );
   CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at_ms);`,
  // Signed report revisions (their reading lines gzip-compressed, excursions and changes as JSON),
  // consignee share links (the token is never stored: it is an HMAC of the link's fields) and the
  // consignee's receipt, one per shipment. An issued revision is evidence: never changed or deleted.
  `CREATE TABLE report_revisions (
     shipment_id TEXT NOT NULL REFERENCES shipments (id),
     revision INTEGER NOT NULL CHECK (revision >= 1),
     issued_at_ms INTEGER NOT NULL,
     digest TEXT NOT NULL,
     verdict TEXT NOT NULL,
     signature TEXT NOT NULL,
     key_id TEXT NOT NULL,
     reading_count INTEGER NOT NULL,
     reading_lines BLOB NOT NULL,
     excursions TEXT NOT NULL,
     changes TEXT,
     PRIMARY KEY (shipment_id, revision)
   );
   CREATE TABLE share_links (
     id TEXT PRIMARY KEY,
     shipment_id TEXT NOT NULL REFERENCES shipments (id),
     created_by TEXT NOT NULL,
     label TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL,
     expires_at_ms INTEGER NOT NULL,
     revoked_at_ms INTEGER,
     revoked_by TEXT
   );
   CREATE INDEX share_links_shipment ON share_links (shipment_id, created_at_ms);
   CREATE TABLE shipment_receipts (
     shipment_id TEXT PRIMARY KEY REFERENCES shipments (id),
     link_id TEXT REFERENCES share_links (id),
     arrived_at_ms INTEGER NOT NULL,
     arrival_temp_c REAL,
     decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
     reason TEXT,
     received_by TEXT NOT NULL,
     place TEXT,
     leg_id INTEGER NOT NULL REFERENCES custody_legs (id),
     recorded_at_ms INTEGER NOT NULL
   );
   CREATE TRIGGER report_revisions_no_update BEFORE UPDATE ON report_revisions
   BEGIN SELECT RAISE(ABORT, '${REVISIONS_APPEND_ONLY}'); END;
   CREATE TRIGGER report_revisions_no_delete BEFORE DELETE ON report_revisions
   BEGIN SELECT RAISE(ABORT, '${REVISIONS_APPEND_ONLY}'); END;`,
];
