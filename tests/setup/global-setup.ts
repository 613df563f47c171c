import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCacheDir, ensureInfluxd, type LocalInflux, startLocalInflux } from '@coldchain/influx';
import type { TestProject } from 'vitest/node';
import type { TestInflux } from './context.js';

/**
 * Starts one throwaway InfluxDB for the whole end-to-end run: a free port on loopback, a temporary
 * data folder, deleted afterwards. The binary comes from PATH or the per-machine cache, and is
 * built once per machine when neither has it.
 */
export default async function setup(project: TestProject) {
  const started = Date.now();
  const binary = await ensureInfluxd({
    cacheDir: defaultCacheDir(process.env),
    path: process.env.PATH ?? '',
    progress: (line) => console.log(line),
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'coldchain-e2e-influx-'));
  let server: LocalInflux;
  try {
    server = await startLocalInflux({ binary, dataDir });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  console.log(
    `[e2e] InfluxDB ${server.version} (${binary}) pid ${server.pid} at ${server.url}, data in ${dataDir}, ready in ${Date.now() - started} ms`,
  );
  const provided: TestInflux = {
    url: server.url,
    token: server.token,
    org: server.org,
    bucket: server.bucket,
    version: server.version,
    binary,
  };
  project.provide('influx', provided);
  return async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
