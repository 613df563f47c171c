import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';

/**
 * The tables copied, in the order they are copied: a custody leg's shipment exists before the leg,
 * an alert before its comments, a user before its tokens.
 */
export const COPIED_TABLES = [
  'devices',
  'service_accounts',
  'shipments',
  'custody_legs',
  'alerts',
  'alert_comments',
  'api_users',
  'api_tokens',
  'report_revisions',
  'share_links',
  'shipment_receipts',
  'service_state',
  'webhook_deliveries',
  'dead_letters',
  'dead_letter_counts',
] as const;
export type CopiedTable = (typeof COPIED_TABLES)[number];
export type CopyCounts = Record<CopiedTable, number>;

export interface CopyProgress {
  table: CopiedTable;
  /** Rows of this table copied so far (in the open transaction: nothing is visible before the end). */
  copied: number;
  /** Rows of this table in the SQLite file. */
  total: number;
}

export interface CopySqliteToPostgresOptions {
  /** The data folder with `metadata.db` and `dead-letters.db`; or name the files themselves. */
  dataDir?: string;
  metadataFile?: string;
  /** Default `dead-letters.db` next to the metadata file. A missing file means no dead letters. */
  deadLetterFile?: string;
  /** `postgres://…` of the target database: it must exist and hold no metadata yet. */
  databaseUrl: string;
  onProgress?: (progress: CopyProgress) => void;
}

/**
 * An expected refusal of the copy: the operator can fix its cause (`message` says how). Nothing
 * was written to PostgreSQL when one is thrown, beyond the schema its migrations create.
 */
export class StoreCopyError extends Error {
  readonly retryable = false;

  constructor(
    readonly code:
      | 'source_missing'
      | 'source_outdated'
      | 'source_invalid'
      | 'target_not_empty'
      | 'target_unreachable',
    message: string,
  ) {
    super(message);
    this.name = 'StoreCopyError';
  }
}

type Value = unknown;
interface TableCopy {
  table: CopiedTable;
  source: 'metadata' | 'deadLetters';
  columns: readonly string[];
  /** The primary key: rows go in the order SQLite keeps them (dead_letter_counts has no rowid). */
  orderBy: string;
  /** GENERATED ALWAYS identity `id`: copied as it is, and its sequence moved past the copied ids. */
  identity?: boolean;
  /** SQLite value → PostgreSQL parameter, by column, where the two differ. */
  convert?: Partial<Record<string, (v: Value) => Value>>;
}

/** Dead letters whose topic named no device are keyed by '' in PostgreSQL (and in today's SQLite files). */
const noDeviceKey = (v: Value) => v ?? '';
const COPIES: readonly TableCopy[] = [
  {
    table: 'devices',
    orderBy: 'id',
    source: 'metadata',
    columns: ['id', 'name', 'kind', 'secret_hash', 'created_at_ms', 'disabled', 'changed_at_ms'],
    // SQLite keeps booleans as 0/1.
    convert: { disabled: (v) => v !== 0 },
  },
  {
    table: 'service_accounts',
    source: 'metadata',
    orderBy: 'id',
    columns: ['id', 'role', 'secret_hash', 'created_at_ms'],
  },
  {
    table: 'shipments',
    orderBy: 'id',
    source: 'metadata',
    columns: [
      'id',
      'reference',
      'profile_id',
      'shipper',
      'consignee',
      'goods',
      'description',
      'origin',
      'destination',
      'status',
      'planned_departure_ms',
      'planned_arrival_ms',
      'actual_departure_ms',
      'actual_arrival_ms',
      'created_at_ms',
      'updated_at_ms',
    ],
  },
  {
    table: 'custody_legs',
    orderBy: 'id',
    source: 'metadata',
    identity: true,
    columns: [
      'id',
      'shipment_id',
      'device_id',
      'holder',
      'from_ms',
      'to_ms',
      'handed_over_by',
      'handover_temp_c',
      'place',
      'note',
      'recorded_at_ms',
      'ended_by',
      'end_temp_c',
      'end_place',
      'end_note',
    ],
  },
  {
    table: 'alerts',
    orderBy: 'id',
    source: 'metadata',
    identity: true,
    columns: [
      'id',
      'key',
      'rule',
      'severity',
      'shipment_id',
      'device_id',
      'holder',
      'start_ms',
      'end_ms',
      'detected_at_ms',
      'limit_value',
      'peak_value',
      'peak_ts_ms',
      'status',
      'acknowledged_by',
      'acknowledged_at_ms',
      'note',
      'resolved_at_ms',
      'resolved_by',
      'resolution_note',
      'assigned_to',
      'detail',
      'updated_at_ms',
    ],
  },
  {
    table: 'alert_comments',
    orderBy: 'id',
    source: 'metadata',
    identity: true,
    columns: ['id', 'alert_id', 'author', 'text', 'created_at_ms'],
  },
  {
    table: 'api_users',
    orderBy: 'id',
    source: 'metadata',
    columns: ['id', 'name', 'role', 'shipper', 'disabled', 'created_at_ms'],
    convert: { disabled: (v) => v !== 0 },
  },
  {
    // Hashes are copied as they are: every token keeps working.
    table: 'api_tokens',
    orderBy: 'id',
    source: 'metadata',
    columns: ['id', 'user_id', 'label', 'token_hash', 'created_at_ms', 'expires_at_ms', 'revoked_at_ms'],
  },
  {
    table: 'report_revisions',
    // The database refuses updates and deletes of a revision; inserting them as they were is what a copy does.
    orderBy: 'shipment_id, revision',
    source: 'metadata',
    columns: [
      'shipment_id',
      'revision',
      'issued_at_ms',
      'digest',
      'verdict',
      'signature',
      'key_id',
      'reading_count',
      'reading_lines',
      'excursions',
      'changes',
    ],
  },
  {
    table: 'share_links',
    orderBy: 'id',
    source: 'metadata',
    columns: [
      'id',
      'shipment_id',
      'created_by',
      'label',
      'created_at_ms',
      'expires_at_ms',
      'revoked_at_ms',
      'revoked_by',
    ],
  },
  {
    table: 'shipment_receipts',
    orderBy: 'shipment_id',
    source: 'metadata',
    columns: [
      'shipment_id',
      'link_id',
      'arrived_at_ms',
      'arrival_temp_c',
      'decision',
      'reason',
      'received_by',
      'place',
      'leg_id',
      'recorded_at_ms',
    ],
  },
  { table: 'service_state', source: 'metadata', orderBy: 'key', columns: ['key', 'json', 'updated_at_ms'] },
  {
    table: 'webhook_deliveries',
    orderBy: 'id',
    source: 'metadata',
    columns: ['id', 'url', 'alert_id', 'status', 'attempts', 'last_error', 'updated_at_ms'],
  },
  {
    // dead_letter_devices and dead_letter_totals are not copied: PostgreSQL's triggers keep them
    // from the samples inserted here.
    table: 'dead_letters',
    orderBy: 'id',
    source: 'deadLetters',
    identity: true,
    columns: ['id', 'device_id', 'topic', 'arrived_at_ms', 'reason', 'problems', 'payload', 'payload_bytes'],
    convert: {
      device_id: noDeviceKey,
      // PostgreSQL text cannot hold NUL; the PostgreSQL store keeps payloads the same way.
      payload: (v) => (typeof v === 'string' ? v.replaceAll('\u0000', '\uFFFD') : v),
    },
  },
  {
    table: 'dead_letter_counts',
    orderBy: 'device_id, reason',
    source: 'deadLetters',
    columns: ['device_id', 'reason', 'count', 'dropped', 'last_at_ms'],
    convert: { device_id: noDeviceKey },
  },
];

/** PostgreSQL takes at most 65,535 parameters per statement; 1,000 rows keep each INSERT a few MB. */
const MAX_PARAMETERS = 65_535;
const MAX_BATCH_ROWS = 1000;

/** Network errors of Node and SQLSTATE classes that mean the server could not be used at all. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
]);
const isUnreachable = (err: unknown) => {
  const code = String((err as { code?: unknown }).code ?? '');
  // 08: connection exception, 28: invalid authorization, 3D000: no such database, 57P03: starting up.
  return UNREACHABLE_CODES.has(code) || /^(08|28)/.test(code) || code === '3D000' || code === '57P03';
};

/** The URL without its password, for messages. */
function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable database URL)';
  }
}

/**
 * Copies the embedded SQLite metadata store (`metadata.db` and `dead-letters.db`) into an empty
 * PostgreSQL database, for an operator moving to a shared store. The SQLite files are opened
 * read-only, each in one read transaction (a consistent snapshot of each file), and stay as they
 * were. PostgreSQL gets its schema from the PostgreSQL store's own migrations, then every table in
 * one transaction that first locks the tables and checks that they are empty: a failure, or a
 * second copy at the same time, leaves the target as it was. Ids are kept (alerts are referred to
 * by id in webhook deliveries and by operators), and each identity sequence moves past the largest
 * id SQLite ever handed out, so that new rows get fresh ids. Secret hashes are copied as they are:
 * every device and service account keeps its secret, every API token stays valid. The services must be stopped meanwhile, since
 * a write to SQLite after its snapshot would not be copied.
 */
export async function copySqliteToPostgres(opts: CopySqliteToPostgresOptions): Promise<CopyCounts> {
  const metadataFile = opts.metadataFile ?? join(opts.dataDir ?? '.', 'metadata.db');
  const deadLetterFile = opts.deadLetterFile ?? join(dirname(metadataFile), 'dead-letters.db');
  const target = redactDatabaseUrl(opts.databaseUrl);

  const sources = openSources(metadataFile, deadLetterFile);
  try {
    // The schema first, by the store's own migrations (safe against a service migrating at once).
    try {
      // PostgreSQL's modules load only when used: the SQLite-only processes stay without them.
      const { createPostgresStore } = await import('./impl/postgres-store.js');
      await (await createPostgresStore({ url: opts.databaseUrl, maxConnections: 1 })).close();
    } catch (err) {
      throw unreachable(err, target);
    }
    const { default: pgClient } = await import('pg');
    const client = new pgClient.Client({ connectionString: opts.databaseUrl });
    client.on('error', () => {}); // a dropped connection also fails the query under way, which says so
    try {
      await client.connect();
    } catch (err) {
      throw unreachable(err, target);
    }
    try {
      await client.query('BEGIN');
      const counts = await copyTables(client, sources, target, opts.onProgress);
      await client.query('COMMIT');
      return counts;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      if (err instanceof StoreCopyError) throw err;
      throw unreachable(err, target);
    } finally {
      await client.end().catch(() => {});
    }
  } finally {
    sources.close();
  }
}

function unreachable(err: unknown, target: string): unknown {
  return isUnreachable(err)
    ? new StoreCopyError(
        'target_unreachable',
        `cannot use PostgreSQL at ${target}: ${(err as Error).message}`,
      )
    : err;
}

interface Sources {
  metadata: Database.Database;
  /** Absent when the file does not exist: nothing ever wrote a dead letter. */
  deadLetters: Database.Database | undefined;
  close(): void;
}

function openSources(metadataFile: string, deadLetterFile: string): Sources {
  if (!existsSync(metadataFile))
    throw new StoreCopyError(
      'source_missing',
      `no metadata database at ${metadataFile} (give the data folder with --data-dir or COLDCHAIN_DATA_DIR)`,
    );
  const opened: Database.Database[] = [];
  const open = (file: string) => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    opened.push(db);
    db.pragma('busy_timeout = 5000');
    // One read transaction per file for the whole copy: every table comes from the same snapshot.
    db.exec('BEGIN');
    return db;
  };
  const close = () => {
    for (const db of opened) db.close();
  };
  try {
    const metadata = open(metadataFile);
    const deadLetters = existsSync(deadLetterFile) ? open(deadLetterFile) : undefined;
    // An earlier release kept dead letters in metadata.db; the store moves them into their own
    // file when it first opens them, which a read-only copy cannot do.
    if (hasTable(metadata, 'dead_letters'))
      throw new StoreCopyError(
        'source_outdated',
        `${metadataFile} still holds dead letters of an earlier release: start the ingest of this release once (it moves them into dead-letters.db), stop it, then copy`,
      );
    for (const copy of COPIES) {
      const db = copy.source === 'metadata' ? metadata : deadLetters;
      if (!db) continue;
      const missing = missingColumns(db, copy);
      if (missing.length)
        throw new StoreCopyError(
          'source_outdated',
          `${copy.source === 'metadata' ? metadataFile : deadLetterFile} lacks ${missing.join(', ')}: it was written by an earlier release; start the broker and the ingest of this release once (they upgrade it), stop them, then copy`,
        );
    }
    return { metadata, deadLetters, close };
  } catch (err) {
    close();
    throw err;
  }
}

const hasTable = (db: Database.Database, table: string) =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;

function missingColumns(db: Database.Database, copy: TableCopy): string[] {
  if (!hasTable(db, copy.table)) return [`table ${copy.table}`];
  const present = new Set(
    (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(copy.table) as Array<{ name: string }>).map(
      (c) => c.name,
    ),
  );
  return copy.columns.filter((c) => !present.has(c)).map((c) => `${copy.table}.${c}`);
}

async function copyTables(
  client: pg.Client,
  sources: Sources,
  target: string,
  onProgress: CopySqliteToPostgresOptions['onProgress'],
): Promise<CopyCounts> {
  // Writers wait until the copy commits, readers do not; a second copy waits, then finds rows.
  await client.query(`LOCK TABLE ${COPIED_TABLES.join(', ')} IN EXCLUSIVE MODE`);
  const held: string[] = [];
  for (const table of COPIED_TABLES) {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    if (Number(rows[0]?.n) > 0) held.push(`${table} (${rows[0]?.n})`);
  }
  if (held.length)
    throw new StoreCopyError(
      'target_not_empty',
      `${target} already holds ${held.join(', ')}: the copy goes into an empty database only, so that nothing is merged or overwritten; create a fresh database (or empty this one) and copy again`,
    );

  const counts = Object.fromEntries(COPIED_TABLES.map((t) => [t, 0])) as CopyCounts;
  for (const copy of COPIES) {
    const db = copy.source === 'metadata' ? sources.metadata : sources.deadLetters;
    const total = db ? Number(db.prepare(`SELECT count(*) FROM ${copy.table}`).pluck().get()) : 0;
    onProgress?.({ table: copy.table, copied: 0, total });
    if (!db || total === 0) continue;
    try {
      counts[copy.table] = await copyTable(client, db, copy, (copied) =>
        onProgress?.({ table: copy.table, copied, total }),
      );
    } catch (err) {
      // Class 23, integrity constraint violation: the SQLite data breaks a rule PostgreSQL enforces
      // (custody legs written before SQLite refused overlaps, for one).
      const code = String((err as { code?: unknown }).code ?? '');
      if (code.startsWith('23')) {
        const detail = (err as { detail?: string }).detail;
        throw new StoreCopyError(
          'source_invalid',
          `${copy.table}: PostgreSQL refused a row: ${(err as Error).message}${detail ? ` (${detail})` : ''}; nothing was copied`,
        );
      }
      throw err;
    }
    if (copy.identity) await moveSequence(client, db, copy.table);
  }
  return counts;
}

async function copyTable(
  client: pg.Client,
  db: Database.Database,
  copy: TableCopy,
  progress: (copied: number) => void,
): Promise<number> {
  const { columns } = copy;
  const batchRows = Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMETERS / columns.length));
  const converters = columns.map((c) => copy.convert?.[c]);
  const rows = db
    .prepare(`SELECT ${columns.join(', ')} FROM ${copy.table} ORDER BY ${copy.orderBy}`)
    .raw()
    .iterate() as IterableIterator<Value[]>;
  let copied = 0;
  let batch: Value[] = [];
  const flush = async () => {
    const n = batch.length / columns.length;
    const values = Array.from(
      { length: n },
      (_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`,
    );
    await client.query(
      `INSERT INTO ${copy.table} (${columns.join(', ')})${copy.identity ? ' OVERRIDING SYSTEM VALUE' : ''}
       VALUES ${values.join(', ')}`,
      batch,
    );
    copied += n;
    batch = [];
    progress(copied);
  };
  for (const row of rows) {
    for (let c = 0; c < columns.length; c++) {
      const convert = converters[c];
      batch.push(convert ? convert(row[c]) : row[c]);
    }
    if (batch.length === batchRows * columns.length) await flush();
  }
  if (batch.length) await flush();
  return copied;
}

/**
 * Moves the table's identity sequence past the largest id SQLite handed out: AUTOINCREMENT never
 * reuses an id, even one deleted since (pruned dead letters), and PostgreSQL then does not either.
 */
async function moveSequence(client: pg.Client, db: Database.Database, table: CopiedTable) {
  const maxId = Number(db.prepare(`SELECT COALESCE(MAX(id), 0) FROM ${table}`).pluck().get());
  const issued = hasTable(db, 'sqlite_sequence')
    ? Number(db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(table) ?? 0)
    : 0;
  const last = Math.max(maxId, issued);
  if (last > 0) await client.query(`SELECT setval(pg_get_serial_sequence($1, 'id'), $2)`, [table, last]);
}
