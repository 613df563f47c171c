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
  return answeringAsynchronously(
    createSqliteStore({ file: opts.file, now: opts.now, deadLetters: opts.deadLetters }),
  );
}

/**
 * The same store with every method answering through a Promise: a value becomes a resolved
 * Promise and a thrown error a rejected one, so that callers handle both stores alike.
 */
function answeringAsynchronously(store: object): AsyncMetadataStore {
  const methods: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(store)) {
    if (typeof method === 'function') methods[name] = async (...args: unknown[]) => method.apply(store, args);
  }
  return methods as AsyncMetadataStore;
}
