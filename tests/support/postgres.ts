import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@coldchain/influx';

const run = promisify(execFile);

export interface PostgresServer {
  /** `postgres://` URL of the database created at start. */
  url: string;
  /** Creates another empty database on this server and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /**
   * Runs SQL through `psql`, a connection of its own outside any store; rejects with psql's
   * message, which starts with the SQLSTATE (verbose errors), when the statement fails.
   */
  psql(url: string, sql: string): Promise<string>;
  stop(): Promise<void>;
}

/** Debian installs each major version under /usr/lib/postgresql/<version>/bin; the newest is used. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0])
    throw new Error(
      `no PostgreSQL server in ${root} (scripts/ensure-test-tools.sh installs Debian's postgresql)`,
    );
  return join(root, versions[0], 'bin');
}

/**
 * A throwaway PostgreSQL cluster: `initdb` in a temporary folder, trust authentication (it
 * listens on loopback only, on a free port, and its Unix socket sits in that folder), started
 * with `pg_ctl start -w`, one database created. The server refuses to run as root, so under root
 * the cluster belongs to the `postgres` account Debian's package creates. `stop()` stops it and
 * deletes the folder.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'coldchain-postgres-'));
  const data = join(dir, 'data');
  const asServer = (command: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args])
      : run(join(bin, command), args);
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off`;
  let started = false;
  try {
    await asServer('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale']);
    await asServer('pg_ctl', [
      'start',
      '-w',
      '-t',
      '60',
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-o',
      options,
    ]);
    started = true;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}`);
  }
  const urlOf = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const psql = async (url: string, sql: string) => {
    try {
      const { stdout } = await run(join(bin, 'psql'), [
        url,
        '-X',
        '-q',
        '-A',
        '-t',
        '-v',
        'ON_ERROR_STOP=1',
        '-v',
        'VERBOSITY=verbose',
        '-c',
        sql,
      ]);
      return stdout.trim();
    } catch (err) {
      throw new Error(String((err as { stderr?: unknown }).stderr ?? err).trim());
    }
  };
  const createDatabase = async (name: string) => {
    await psql(urlOf('postgres'), `CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    return urlOf(name);
  };
  const url = await createDatabase('coldchain');
  return {
    url,
    createDatabase,
    psql,
    async stop() {
      if (!started) return;
      started = false;
      await asServer('pg_ctl', ['stop', '-w', '-m', 'fast', '-D', data]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
