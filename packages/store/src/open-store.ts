import { createSqliteStore, type SqliteStoreOptions } from './impl/sqlite-store.js';
import type { MetadataStore } from './store.js';

export interface OpenMetadataStoreOptions {
  /** `postgres://…` or `postgresql://…` selects PostgreSQL; unset (or anything else) keeps SQLite. */
  databaseUrl?: string;
  /** The SQLite database file, used when `databaseUrl` does not name PostgreSQL. */
  file: string;
  /** Dead-letter caps and retention for either store; `file` matters to SQLite only. */
  deadLetters?: SqliteStoreOptions['deadLetters'];
  /** Wall clock, injected so that tests control it. */
  now?: () => number;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** The metadata store the configuration names: PostgreSQL where several processes share one, else SQLite. */
export async function openMetadataStore(opts: OpenMetadataStoreOptions): Promise<MetadataStore> {
  if (opts.databaseUrl !== undefined && POSTGRES_URL.test(opts.databaseUrl)) {
    // Loaded only here: pg and the PostgreSQL store cost a SQLite-only process some 15 MB.
    const { createPostgresStore } = await import('./impl/postgres-store.js');
    return createPostgresStore({
      url: opts.databaseUrl,
      now: opts.now,
      deadLetters: { limits: opts.deadLetters?.limits },
    });
  }
  return createSqliteStore({ file: opts.file, now: opts.now, deadLetters: opts.deadLetters });
}
