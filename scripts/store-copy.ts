// Copies the embedded SQLite metadata store (metadata.db, dead-letters.db in the data folder) into
// an empty PostgreSQL database, for the move to a shared store. Stop the services first.
//   store:copy --to postgres://user:password@host:5432/database [--data-dir DIR]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { COPIED_TABLES, type CopyProgress, copySqliteToPostgres, StoreCopyError } from '@coldchain/store';

const usage = `usage: store:copy --to postgres://user:password@host:5432/database [--data-dir DIR]
  Copies metadata.db and dead-letters.db of the data folder (default COLDCHAIN_DATA_DIR or ./.data)
  into an empty PostgreSQL database. Stop the broker, ingest and api first; the SQLite files are
  only read. Then set COLDCHAIN_DATABASE_URL to the same URL and start the services.`;

const fail = (message: string, exitCode: number): never => {
  console.error(message);
  process.exit(exitCode);
};

const parseOptions = () => {
  try {
    return parseArgs({
      options: {
        to: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    return fail(`${(err as Error).message}\n${usage}`, 2);
  }
};
const values = parseOptions();
if (values.help) fail(usage, 0);
if (!values.to || !/^postgres(ql)?:\/\//i.test(values.to))
  fail(`--to must be a postgres:// URL\n${usage}`, 2);

const dataDir = resolve(values['data-dir'] ?? process.env.COLDCHAIN_DATA_DIR ?? './.data');
const width = Math.max(...COPIED_TABLES.map((t) => t.length));
const line = (table: string, text: string) => `  ${table.padEnd(width)}  ${text}`;
const onProgress = ({ table, copied, total }: CopyProgress) => {
  // One line per table when it is done, and one per batch of a table that takes several.
  if (copied === total || total > 1000) console.error(line(table, `${copied}/${total}`));
};

console.error(`Copying the SQLite metadata store in ${dataDir} to PostgreSQL (one transaction)`);
const startedMs = Date.now();
try {
  const counts = await copySqliteToPostgres({ dataDir, databaseUrl: values.to as string, onProgress });
  console.log(`Copied in ${Date.now() - startedMs} ms:`);
  for (const table of COPIED_TABLES) console.log(line(table, `${counts[table]} rows`));
  console.log(
    'Every device and service account keeps its secret. Set COLDCHAIN_DATABASE_URL to this database and start the services; the SQLite files are unchanged.',
  );
} catch (err) {
  if (err instanceof StoreCopyError) fail(`store:copy: ${err.message}`, 1);
  console.error('store:copy failed; nothing was committed to PostgreSQL:', err);
  process.exitCode = 1;
}
