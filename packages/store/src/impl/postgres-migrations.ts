import type pg from 'pg';
import { inTransaction } from './postgres-transaction.js';

/**
 * Taken by every process that migrates, for the length of its migration transaction, so that two
 * processes starting at once apply each version once. An arbitrary constant ("cold" in ASCII), the
 * same in every release.
 */
export const MIGRATION_LOCK_KEY = 0x636f6c64;

/**
 * Schema versions, applied in order; `schema_migrations` records each one applied. Times are epoch
 * milliseconds in BIGINT columns, as in the SQLite schema, so that both stores hold the same values.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     kind TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at_ms BIGINT NOT NULL,
     disabled BOOLEAN NOT NULL DEFAULT false,
     -- When the device was last disabled, enabled or given a new secret: the broker disconnects it then.
     changed_at_ms BIGINT NOT NULL DEFAULT 0
   );
   CREATE INDEX devices_changed ON devices (changed_at_ms);
   CREATE TABLE service_accounts (
     id TEXT PRIMARY KEY,
     role TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at_ms BIGINT NOT NULL
   );
   CREATE TABLE shipments (
     id TEXT PRIMARY KEY,
     profile_id TEXT NOT NULL,
     shipper TEXT NOT NULL,
     consignee TEXT NOT NULL,
     description TEXT NOT NULL DEFAULT '',
     created_at_ms BIGINT NOT NULL
   );
   -- btree_gist lets one exclusion constraint combine equality on the shipment with range overlap.
   CREATE EXTENSION IF NOT EXISTS btree_gist;
   CREATE TABLE custody_legs (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     shipment_id TEXT NOT NULL REFERENCES shipments (id),
     device_id TEXT NOT NULL,
     holder TEXT NOT NULL,
     from_ms BIGINT NOT NULL,
     to_ms BIGINT,
     handed_over_by TEXT,
     handover_temp_c DOUBLE PRECISION,
     -- Legs of one shipment never overlap, whoever writes them: [from, to), an open leg up to the end of time.
     CONSTRAINT custody_legs_no_overlap EXCLUDE USING gist (
       shipment_id WITH =,
       int8range(from_ms, COALESCE(to_ms, 9223372036854775807)) WITH &&
     )
   );
   CREATE INDEX custody_legs_device ON custody_legs (device_id, from_ms);
   CREATE INDEX custody_legs_shipment ON custody_legs (shipment_id, from_ms);
   -- The breach monitor's timer looks at open legs only.
   CREATE INDEX custody_legs_open ON custody_legs (from_ms) WHERE to_ms IS NULL;
   CREATE TABLE alerts (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     key TEXT NOT NULL UNIQUE,
     rule TEXT NOT NULL,
     severity TEXT NOT NULL,
     shipment_id TEXT,
     device_id TEXT NOT NULL,
     holder TEXT,
     start_ms BIGINT NOT NULL,
     end_ms BIGINT,
     detected_at_ms BIGINT NOT NULL,
     limit_value DOUBLE PRECISION,
     peak_value DOUBLE PRECISION,
     peak_ts_ms BIGINT,
     status TEXT NOT NULL DEFAULT 'open',
     acknowledged_by TEXT,
     acknowledged_at_ms BIGINT,
     note TEXT,
     resolved_at_ms BIGINT,
     detail TEXT,
     updated_at_ms BIGINT NOT NULL
   );
   CREATE INDEX alerts_status ON alerts (status, id);
   CREATE INDEX alerts_shipment ON alerts (shipment_id, id);
   CREATE INDEX alerts_device ON alerts (device_id, id);
   CREATE TABLE service_state (
     key TEXT PRIMARY KEY,
     json TEXT NOT NULL,
     updated_at_ms BIGINT NOT NULL
   );
   CREATE TABLE webhook_deliveries (
     id TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     alert_id BIGINT NOT NULL,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     last_error TEXT,
     updated_at_ms BIGINT NOT NULL
   );
   CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, updated_at_ms);`,
  // Dead letters: counts are counters, bumped per dead letter, never derived from the samples, so
  // they stay exact when samples are capped or expire. '' is the device of topics that named none.
  // `dead_letter_devices` and `dead_letter_totals` hold the number of samples stored, kept by
  // statement triggers, so that the caps are checked without a COUNT(*).
  `CREATE TABLE dead_letters (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     device_id TEXT NOT NULL,
     topic TEXT NOT NULL,
     arrived_at_ms BIGINT NOT NULL,
     reason TEXT NOT NULL,
     problems TEXT NOT NULL,
     payload TEXT NOT NULL,
     payload_bytes INTEGER NOT NULL
   );
   CREATE INDEX dead_letters_device ON dead_letters (device_id, id);
   CREATE INDEX dead_letters_arrived ON dead_letters (arrived_at_ms);
   CREATE TABLE dead_letter_counts (
     device_id TEXT NOT NULL,
     reason TEXT NOT NULL,
     count BIGINT NOT NULL,
     dropped BIGINT NOT NULL DEFAULT 0,
     last_at_ms BIGINT NOT NULL,
     PRIMARY KEY (device_id, reason)
   );
   CREATE TABLE dead_letter_devices (
     device_id TEXT PRIMARY KEY,
     stored BIGINT NOT NULL
   );
   CREATE TABLE dead_letter_totals (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     stored BIGINT NOT NULL
   );
   INSERT INTO dead_letter_totals (id, stored) VALUES (1, 0);
   CREATE FUNCTION dead_letters_added() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     INSERT INTO dead_letter_devices (device_id, stored)
       SELECT device_id, count(*) FROM added GROUP BY device_id
       ON CONFLICT (device_id) DO UPDATE SET stored = dead_letter_devices.stored + excluded.stored;
     UPDATE dead_letter_totals SET stored = stored + (SELECT count(*) FROM added) WHERE id = 1;
     RETURN NULL;
   END $$;
   CREATE FUNCTION dead_letters_removed() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     UPDATE dead_letter_devices d SET stored = d.stored - g.n
       FROM (SELECT device_id, count(*) AS n FROM removed GROUP BY device_id) g
       WHERE d.device_id = g.device_id;
     UPDATE dead_letter_totals SET stored = stored - (SELECT count(*) FROM removed) WHERE id = 1;
     RETURN NULL;
   END $$;
   CREATE TRIGGER dead_letters_added AFTER INSERT ON dead_letters
     REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION dead_letters_added();
   CREATE TRIGGER dead_letters_removed AFTER DELETE ON dead_letters
     REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION dead_letters_removed();`,
  // What the HTTP API needs; the same as the SQLite store's version 7, defaults included. Rows
  // written before take the values that say what they were: a shipment's reference is its id and
  // its goods its description, a leg was recorded when it began.
  `ALTER TABLE shipments
     ADD COLUMN reference TEXT NOT NULL DEFAULT '',
     ADD COLUMN goods TEXT NOT NULL DEFAULT '',
     ADD COLUMN origin TEXT,
     ADD COLUMN destination TEXT,
     ADD COLUMN status TEXT NOT NULL DEFAULT 'planned'
       CHECK (status IN ('planned', 'in_transit', 'delivered', 'closed', 'cancelled')),
     ADD COLUMN planned_departure_ms BIGINT,
     ADD COLUMN planned_arrival_ms BIGINT,
     ADD COLUMN actual_departure_ms BIGINT,
     ADD COLUMN actual_arrival_ms BIGINT,
     ADD COLUMN updated_at_ms BIGINT NOT NULL DEFAULT 0;
   UPDATE shipments SET reference = id, goods = description, updated_at_ms = created_at_ms;
   CREATE INDEX shipments_created ON shipments (created_at_ms, id);
   CREATE INDEX shipments_shipper ON shipments (shipper, created_at_ms, id);

   ALTER TABLE custody_legs
     ADD COLUMN place TEXT,
     ADD COLUMN note TEXT,
     -- 0 (unknown) for a leg written by anything but the store, as in SQLite.
     ADD COLUMN recorded_at_ms BIGINT NOT NULL DEFAULT 0,
     ADD COLUMN ended_by TEXT,
     ADD COLUMN end_temp_c DOUBLE PRECISION,
     ADD COLUMN end_place TEXT,
     ADD COLUMN end_note TEXT;
   UPDATE custody_legs SET recorded_at_ms = from_ms;

   ALTER TABLE alerts
     ADD COLUMN resolved_by TEXT,
     ADD COLUMN resolution_note TEXT,
     ADD COLUMN assigned_to TEXT;
   -- Resolving used to write its note over the acknowledgement's and, for an alert never
   -- acknowledged, its resolver into acknowledged_by: that note is the resolution's, and that
   -- name the resolver's (an acknowledged one's resolver was not kept).
   UPDATE alerts SET resolution_note = note, note = NULL,
     resolved_by = CASE WHEN acknowledged_at_ms IS NULL THEN acknowledged_by END,
     acknowledged_by = CASE WHEN acknowledged_at_ms IS NULL THEN NULL ELSE acknowledged_by END
   WHERE status = 'resolved';
   CREATE INDEX alerts_updated ON alerts (updated_at_ms, id);

   -- Comments are an audit trail: the database refuses to change or remove one, whoever asks.
   CREATE TABLE alert_comments (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     alert_id BIGINT NOT NULL REFERENCES alerts (id),
     author TEXT NOT NULL,
     text TEXT NOT NULL,
     created_at_ms BIGINT NOT NULL
   );
   CREATE INDEX alert_comments_alert ON alert_comments (alert_id, id);
   CREATE FUNCTION alert_comments_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     RAISE EXCEPTION 'alert comments are append-only' USING ERRCODE = 'restrict_violation';
   END $$;
   CREATE TRIGGER alert_comments_append_only BEFORE UPDATE OR DELETE ON alert_comments
     FOR EACH ROW EXECUTE FUNCTION alert_comments_append_only();
   CREATE TRIGGER alert_comments_no_truncate BEFORE TRUNCATE ON alert_comments
     FOR EACH STATEMENT EXECUTE FUNCTION alert_comments_append_only();

   CREATE TABLE api_users (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'shipper')),
     shipper TEXT,
     disabled BOOLEAN NOT NULL DEFAULT false,
     created_at_ms BIGINT NOT NULL,
     CHECK ((role = 'shipper') = (shipper IS NOT NULL AND shipper <> ''))
   );
   CREATE TABLE api_tokens (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES api_users (id),
     label TEXT NOT NULL,
     token_hash TEXT NOT NULL UNIQUE,
     created_at_ms BIGINT NOT NULL,
     expires_at_ms BIGINT,
     revoked_at_ms BIGINT
   );
   CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at_ms);`,
  // Signed report revisions, consignee share links and receipts (as SQLite's schema version 9).
  `CREATE TABLE report_revisions (
     shipment_id TEXT NOT NULL REFERENCES shipments (id),
     revision INTEGER NOT NULL CHECK (revision >= 1),
     issued_at_ms BIGINT NOT NULL,
     digest TEXT NOT NULL,
     verdict TEXT NOT NULL,
     signature TEXT NOT NULL,
     key_id TEXT NOT NULL,
     reading_count INTEGER NOT NULL,
     reading_lines BYTEA NOT NULL,
     excursions TEXT NOT NULL,
     changes TEXT,
     PRIMARY KEY (shipment_id, revision)
   );
   CREATE TABLE share_links (
     id TEXT PRIMARY KEY,
     shipment_id TEXT NOT NULL REFERENCES shipments (id),
     created_by TEXT NOT NULL,
     label TEXT NOT NULL,
     created_at_ms BIGINT NOT NULL,
     expires_at_ms BIGINT NOT NULL,
     revoked_at_ms BIGINT,
     revoked_by TEXT
   );
   CREATE INDEX share_links_shipment ON share_links (shipment_id, created_at_ms);
   CREATE TABLE shipment_receipts (
     shipment_id TEXT PRIMARY KEY REFERENCES shipments (id),
     link_id TEXT REFERENCES share_links (id),
     arrived_at_ms BIGINT NOT NULL,
     arrival_temp_c DOUBLE PRECISION,
     decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
     reason TEXT,
     received_by TEXT NOT NULL,
     place TEXT,
     leg_id BIGINT NOT NULL REFERENCES custody_legs (id),
     recorded_at_ms BIGINT NOT NULL
   );
   CREATE FUNCTION report_revisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     RAISE EXCEPTION 'report revisions are append-only' USING ERRCODE = 'restrict_violation';
   END $$;
   CREATE TRIGGER report_revisions_append_only BEFORE UPDATE OR DELETE ON report_revisions
     FOR EACH ROW EXECUTE FUNCTION report_revisions_append_only();`,
];

/**
 * Applies the versions not yet applied, in one transaction that holds an advisory lock: a second
 * process starting at the same time waits for the first, then finds the versions applied.
 */
export function migratePostgres(pool: pg.Pool, now: () => number): Promise<void> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)',
    );
    const { rows } = await client.query<{ version: number }>(
      'SELECT COALESCE(MAX(version), 0)::integer AS version FROM schema_migrations',
    );
    for (let v = rows[0]?.version ?? 0; v < POSTGRES_MIGRATIONS.length; v++) {
      await client.query(POSTGRES_MIGRATIONS[v] as string);
      await client.query('INSERT INTO schema_migrations (version, applied_at_ms) VALUES ($1, $2)', [
        v + 1,
        now(),
      ]);
    }
  });
}
