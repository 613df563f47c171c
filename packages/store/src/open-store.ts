import { type AsyncMetadataStore, createPostgresStore } from './impl/postgres-store.js';
import { createSqliteStore, type SqliteStoreOptions } from './impl/sqlite-store.js';

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
export async function openMetadataStore(opts: OpenMetadataStoreOptions): Promise<AsyncMetadataStore> {
  if (opts.databaseUrl !== undefined && POSTGRES_URL.test(opts.databaseUrl)) {
    return createPostgresStore({
      url: opts.databaseUrl,
      now: opts.now,
      deadLetters: { limits: opts.deadLetters?.limits },
    });
  }
  // Every method of the SQLite store answers with a value or a Promise of it, and awaiting
  // either gives the same: callers see one asynchronous interface.
  const store: unknown = createSqliteStore({ file: opts.file, now: opts.now, deadLetters: opts.deadLetters });
  return store as AsyncMetadataStore;
}
