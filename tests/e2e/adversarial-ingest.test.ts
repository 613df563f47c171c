import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalInflux } from '@coldchain/influx';
import { createSqliteStore } from '@coldchain/store';
import { afterEach, describe, expect, inject, it } from 'vitest';
import '../setup/context.js';
import {
  connectDevice,
  ingestHttpUrl,
  makeReadings,
  type Pipeline,
  type SimDevice,
  seeded,
  startPipeline,
  type WireReading,
  waitForStored,
} from '../support/pipeline.js';

const HOUR = 3_600_000;
let pipeline: Pipeline | undefined;
const devices: SimDevice[] = [];
afterEach(async () => {
  await Promise.all(devices.splice(0).map((d) => d.close().catch(() => {})));
  await pipeline?.stop();
  pipeline = undefined;
});

const metricsUrl = (p: Pipeline) => ingestHttpUrl(p.ingest);

async function scrape(p: Pipeline) {
  const text = await (await fetch(`${metricsUrl(p)}/metrics`)).text();
  const byReason = (name: string) =>
    Object.fromEntries(
      [...text.matchAll(new RegExp(`^${name}\\{reason="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    text,
    deadLetters: byReason('coldchain_ingest_dead_letters_total'),
    dropped: byReason('coldchain_ingest_dead_letter_samples_dropped_total'),
    stored: value('coldchain_ingest_dead_letter_samples_stored'),
    received: value('coldchain_ingest_received_total'),
  };
}

async function healthz(p: Pipeline) {
  const res = await fetch(`${metricsUrl(p)}/healthz`);
  return {
    code: res.status,
    body: (await res.json()) as { status: string; checks: Record<string, { status: string }> },
  };
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const modeOf = (path: string) => statSync(path).mode & 0o777;
const fileBytes = (path: string) => (existsSync(path) ? statSync(path).size : 0);

describe('the ingest under a hostile device', () => {
  const influx = inject('influx');

  it('counts a flood of 3,000 invalid messages exactly, keeps only capped samples, and still stores every valid reading once', async () => {
    const prefix = `flood${Date.now() % 100000}`;
    const [flooder, honest] = [`${prefix}-0`, `${prefix}-1`];
    const p = await startPipeline({
      influx,
      devices: [flooder, honest],
      ingestEnv: { INGEST_DEAD_LETTER_PER_DEVICE: '40', INGEST_DEAD_LETTER_MAX: '1000' },
    });
    pipeline = p;
    const pidBefore = p.ingest.child.pid;
    const metadataFile = join(p.dataDir, 'metadata.db');
    const metadataBefore = fileBytes(metadataFile) + fileBytes(`${metadataFile}-wal`);
    const [flood, calm] = await Promise.all(
      [flooder, honest].map((id) => connectDevice(p.broker.url, p.creds[id] as never)),
    );
    devices.push(flood as SimDevice, calm as SimDevice);

    // 3,000 invalid messages of about 3 KB, three reasons, with two valid readings of the flooder's own among them.
    const now = Date.now();
    const pad = 'x'.repeat(3000);
    const invalid = [
      `{"v":1,"readings":[{"ts":"${pad}`,
      JSON.stringify({ v: 1, ts: now, temp: { air: pad } }),
      JSON.stringify({ v: 1, ts: now, temp: { air: 3 }, note: pad }),
    ];
    const reasons = ['malformed_json', 'invalid_field', 'unknown_field'];
    const floodReadings: WireReading[] = [
      { ts: now - 2 * HOUR, seq: 1, temp: { air: 4.25 } },
      { ts: now - 2 * HOUR + 60_000, seq: 2, temp: { air: 4.5 } },
    ];
    const messages = Array.from({ length: 3000 }, (_, i) => invalid[i % 3] as string);
    messages.splice(1000, 0, JSON.stringify({ v: 1, ...floodReadings[0] }));
    messages.splice(2000, 0, JSON.stringify({ v: 1, ...floodReadings[1] }));
    const calmReadings = makeReadings(60, now - 3 * HOUR, 60_000, seeded(11));
    const startedAt = performance.now();
    await Promise.all([
      flood?.sendAll(messages, 50),
      calm?.sendAll(
        calmReadings.map((r) => JSON.stringify({ v: 1, ...r })),
        1,
        20,
      ),
    ]);
    const metrics = await until(
      () => scrape(p),
      (m) => sum(m.deadLetters) >= 3000,
    );
    console.log(`3,000 dead letters acknowledged in ${(performance.now() - startedAt).toFixed(0)} ms`);

    expect(metrics.deadLetters).toEqual(Object.fromEntries(reasons.map((r) => [r, 1000])));
    expect(sum(metrics.dropped)).toBe(3000 - 40);
    expect(metrics.stored).toBe(40);
    // Node's process metrics come along.
    expect(metrics.text).toMatch(/^process_resident_memory_bytes \d+/m);

    const result = await waitForStored(
      influx,
      new Map([
        [flooder, floodReadings],
        [honest, calmReadings],
      ]),
      prefix,
      now - 4 * HOUR,
      now + HOUR,
    );
    expect(result).toEqual({ missing: 0, wrong: 0, extra: 0, total: 62 });
    expect(p.ingest.child.pid).toBe(pidBefore);
    expect(p.ingest.child.exitCode).toBeNull();

    const store = createSqliteStore({ file: metadataFile });
    try {
      expect(await store.countDeadLettersByReason()).toEqual(
        Object.fromEntries(reasons.map((r) => [r, 1000])),
      );
      expect(await store.countDeadLettersOfDevice(flooder)).toEqual(
        Object.fromEntries(reasons.map((r) => [r, 1000])),
      );
      expect(await store.listDeadLetters({ deviceId: flooder, limit: 5000 })).toHaveLength(40);
    } finally {
      await store.close();
    }
    // The flood went to its own, capped file; the database with credentials did not grow.
    const metadataAfter = fileBytes(metadataFile) + fileBytes(`${metadataFile}-wal`);
    const deadLetterBytes = fileBytes(join(p.dataDir, 'dead-letters.db'));
    console.log(
      `metadata.db+wal ${metadataBefore} → ${metadataAfter} bytes; dead-letters.db ${deadLetterBytes} bytes`,
    );
    expect(metadataAfter - metadataBefore).toBeLessThan(256 * 1024);
    expect(deadLetterBytes).toBeLessThan(1024 * 1024);
    // The log follows the samples: one line per stored sample and one when the cap was reached.
    const stored = p.ingest.logs.filter((l) => l.msg === 'dead letter').length;
    const capped = p.ingest.logs.filter((l) => String(l.msg).startsWith('dead-letter samples capped')).length;
    expect([stored, capped]).toEqual([40, 1]);
  });

  it('answers /healthz with 503 naming InfluxDB or the broker when either is down, and 200 when all are up', async () => {
    const influxDir = join(mkdtempSync(join(tmpdir(), 'coldchain-e2e-health-')), 'influxdb');
    let server = await startLocalInflux({ binary: influx.binary, dataDir: influxDir });
    try {
      pipeline = await startPipeline({ influx: server, devices: [] });
      const p = pipeline;
      const up = await until(
        () => healthz(p),
        (h) => h.code === 200,
      );
      expect(up).toEqual({
        code: 200,
        body: {
          status: 'ok',
          checks: {
            mqtt: { status: 'up' },
            influxdb: { status: 'up' },
            store: { status: 'up' },
            journal: expect.objectContaining({ status: 'up' }),
          },
        },
      });
      // The local server's folder and token are private too.
      expect(modeOf(influxDir)).toBe(0o700);
      expect(modeOf(join(influxDir, 'credentials.json'))).toBe(0o600);
      expect(modeOf(join(influxDir, 'influxd.log'))).toBe(0o600);

      await server.stop();
      const noInflux = await until(
        () => healthz(p),
        (h) => h.code !== 200,
        15_000,
      );
      expect(noInflux.code).toBe(503);
      expect(noInflux.body.status).toBe('degraded');
      expect(noInflux.body.checks.influxdb?.status).toBe('down');
      expect(noInflux.body.checks.mqtt?.status).toBe('up');

      server = await startLocalInflux({
        binary: influx.binary,
        dataDir: influxDir,
        port: Number(new URL(server.url).port),
      });
      expect(
        (
          await until(
            () => healthz(p),
            (h) => h.code === 200,
            15_000,
          )
        ).code,
      ).toBe(200);

      await p.broker.stop();
      const noBroker = await until(
        () => healthz(p),
        (h) => h.body.checks.mqtt?.status === 'down',
        15_000,
      );
      expect(noBroker.code).toBe(503);
      expect(noBroker.body.status).toBe('down');
      expect(noBroker.body.checks.influxdb?.status).toBe('up');

      await p.restartBroker();
      expect(
        (
          await until(
            () => healthz(p),
            (h) => h.code === 200,
            15_000,
          )
        ).code,
      ).toBe(200);
    } finally {
      await pipeline?.stop();
      pipeline = undefined;
      await server.stop();
      rmSync(join(influxDir, '..'), { recursive: true, force: true });
    }
  });

  it('keeps the data folder private: 0700, its databases, journal and spool 0600, and tightens what was looser', async () => {
    const id = `private${Date.now() % 100000}`;
    pipeline = await startPipeline({ influx, devices: [id] });
    const p = pipeline;
    const [device] = await Promise.all([connectDevice(p.broker.url, p.creds[id] as never)]);
    devices.push(device as SimDevice);
    await device?.sendAll(['{"v":1', JSON.stringify({ v: 1, ts: Date.now(), temp: { air: 3 } })], 1);
    await until(
      () => scrape(p),
      (m) => m.received >= 2,
    );

    const dir = p.dataDir;
    const check = () => {
      expect(modeOf(dir)).toBe(0o700);
      for (const name of ['metadata.db', 'metadata.db-wal', 'metadata.db-shm', 'dead-letters.db'])
        expect([name, modeOf(join(dir, name))]).toEqual([name, 0o600]);
      for (const sub of ['ingest-journal', 'broker-spool']) {
        expect([sub, modeOf(join(dir, sub))]).toEqual([sub, 0o700]);
        for (const f of readdirSync(join(dir, sub), { withFileTypes: true }))
          if (f.isFile()) expect([f.name, modeOf(join(dir, sub, f.name))]).toEqual([f.name, 0o600]);
      }
    };
    check();

    // As an earlier release left them: world-readable. A restart makes them private and says so.
    await p.ingest.stop();
    await p.broker.stop();
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'metadata.db'), 0o644);
    chmodSync(join(dir, 'dead-letters.db'), 0o644);
    chmodSync(join(dir, 'ingest-journal'), 0o755);
    await p.restartBroker();
    await p.startIngest();
    check();
    const said = [...p.broker.logs, ...p.ingest.logs].filter((l) => /made private/.test(String(l.msg)));
    expect(said.length).toBeGreaterThan(0);
  });
});
