import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { generateSecret, hashSecret, verifySecret } from '../credentials.js';
import type {
  DeadLetter,
  Device,
  DeviceKind,
  MetadataStore,
  NewDeadLetter,
  Principal,
  ServiceRole,
} from '../store.js';

/** Dead-letter payloads are kept up to this many bytes: enough to see what was wrong. */
export const DEAD_LETTER_PAYLOAD_BYTES = 4096;

/** Schema versions, applied in order; `PRAGMA user_version` records the last one applied. */
const MIGRATIONS: string[] = [
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
];

interface DeviceRow {
  id: string;
  name: string;
  kind: DeviceKind;
  created_at_ms: number;
  disabled: number;
}

const toDevice = (row: DeviceRow): Device => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  createdAtMs: row.created_at_ms,
  disabled: row.disabled !== 0,
});

export interface SqliteStoreOptions {
  /** Database file, or `:memory:`. */
  file: string;
  /** Wall clock, injected so that tests control it. */
  now?: () => number;
}

export function createSqliteStore(opts: SqliteStoreOptions): MetadataStore {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
  const db = new Database(opts.file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const now = opts.now ?? Date.now;

  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }

  const stmt = {
    insertDevice: db.prepare(
      'INSERT INTO devices (id, name, kind, secret_hash, created_at_ms) VALUES (@id, @name, @kind, @hash, @at)',
    ),
    setDeviceSecret: db.prepare('UPDATE devices SET secret_hash = ? WHERE id = ?'),
    getDevice: db.prepare('SELECT id, name, kind, created_at_ms, disabled FROM devices WHERE id = ?'),
    listDevices: db.prepare('SELECT id, name, kind, created_at_ms, disabled FROM devices ORDER BY id'),
    deviceHash: db.prepare('SELECT secret_hash FROM devices WHERE id = ? AND disabled = 0'),
    upsertService: db.prepare(
      `INSERT INTO service_accounts (id, role, secret_hash, created_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET role = excluded.role, secret_hash = excluded.secret_hash`,
    ),
    service: db.prepare('SELECT role, secret_hash FROM service_accounts WHERE id = ?'),
    insertDeadLetter: db.prepare(
      `INSERT INTO dead_letters (device_id, topic, arrived_at_ms, reason, problems, payload, payload_bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    deadLettersByReason: db.prepare('SELECT reason, COUNT(*) AS n FROM dead_letters GROUP BY reason'),
  };

  let closed = false;
  return {
    async provisionDevice({ id, name, kind }) {
      const secret = generateSecret();
      const hash = await hashSecret(secret);
      const at = now();
      try {
        stmt.insertDevice.run({ id, name: name ?? id, kind: kind ?? 'logger', hash, at });
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new Error(`device ${id} already exists`);
        }
        throw err;
      }
      return { device: toDevice(stmt.getDevice.get(id) as DeviceRow), secret };
    },

    async rotateDeviceSecret(id) {
      const secret = generateSecret();
      const changed = stmt.setDeviceSecret.run(await hashSecret(secret), id).changes;
      if (changed === 0) throw new Error(`device ${id} does not exist`);
      return secret;
    },

    getDevice(id) {
      const row = stmt.getDevice.get(id) as DeviceRow | undefined;
      return row ? toDevice(row) : null;
    },

    listDevices() {
      return (stmt.listDevices.all() as DeviceRow[]).map(toDevice);
    },

    async provisionServiceAccount(id, role: ServiceRole) {
      const secret = generateSecret();
      stmt.upsertService.run(id, role, await hashSecret(secret), now());
      return secret;
    },

    async verifyCredentials(username, secret): Promise<Principal | null> {
      const service = stmt.service.get(username) as { role: ServiceRole; secret_hash: string } | undefined;
      if (service) {
        return (await verifySecret(secret, service.secret_hash))
          ? { kind: 'service', id: username, role: service.role }
          : null;
      }
      const device = stmt.deviceHash.get(username) as { secret_hash: string } | undefined;
      if (!device) return null;
      return (await verifySecret(secret, device.secret_hash)) ? { kind: 'device', deviceId: username } : null;
    },

    addDeadLetter(letter: NewDeadLetter) {
      stmt.insertDeadLetter.run(
        letter.deviceId,
        letter.topic,
        letter.arrivedAtMs,
        letter.reason,
        JSON.stringify(letter.problems),
        letter.payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES).toString('utf8'),
        letter.payloadBytes,
      );
    },

    listDeadLetters({ deviceId, limit = 100 } = {}): DeadLetter[] {
      const rows = (
        deviceId === undefined
          ? db.prepare('SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?').all(limit)
          : db
              .prepare('SELECT * FROM dead_letters WHERE device_id = ? ORDER BY id DESC LIMIT ?')
              .all(deviceId, limit)
      ) as Array<Record<string, unknown>>;
      return rows.map((r) => ({
        id: Number(r.id),
        deviceId: (r.device_id as string | null) ?? null,
        topic: String(r.topic),
        arrivedAtMs: Number(r.arrived_at_ms),
        reason: String(r.reason),
        problems: JSON.parse(String(r.problems)) as string[],
        payload: String(r.payload),
        payloadBytes: Number(r.payload_bytes),
      }));
    },

    countDeadLettersByReason() {
      const out: Record<string, number> = {};
      for (const row of stmt.deadLettersByReason.all() as Array<{ reason: string; n: number }>)
        out[row.reason] = row.n;
      return out;
    },

    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
