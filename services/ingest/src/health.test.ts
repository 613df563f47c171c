import { describe, expect, it } from 'vitest';
import { createHealthCheck, type HealthOptions } from './health.js';

const journal = { bytes: 10, segments: 1, maxBytes: 1000, overWarning: false };

function setup(over: Partial<HealthOptions> & { influxUp?: boolean } = {}) {
  let clock = 0;
  let probes = 0;
  let influxUp = over.influxUp ?? true;
  const check = createHealthCheck({
    mqttConnected: () => true,
    influxUrl: 'http://127.0.0.1:8086',
    probeStore: () => {},
    journal: () => journal,
    now: () => clock,
    influxCacheMs: 5000,
    fetch: async () => {
      probes++;
      if (!influxUp) throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      return new Response('{"status":"pass"}', { status: 200 });
    },
    ...over,
  });
  return {
    check,
    probes: () => probes,
    advance: (ms: number) => {
      clock += ms;
    },
    setInflux: (up: boolean) => {
      influxUp = up;
    },
  };
}

describe('the ingest health check', () => {
  it('is ok when every dependency is up', async () => {
    const { check } = setup();
    const report = await check.report();
    expect(report.status).toBe('ok');
    expect(Object.values(report.checks).map((c) => c.status)).toEqual(['up', 'up', 'up', 'up']);
  });

  it('is degraded when only InfluxDB is down, and names the cause', async () => {
    const { check } = setup({ influxUp: false });
    const report = await check.report();
    expect(report.status).toBe('degraded');
    expect(report.checks.influxdb).toEqual({ status: 'down', detail: 'ECONNREFUSED' });
  });

  it('is down without the broker, the store or room in the journal', async () => {
    expect((await setup({ mqttConnected: () => false }).check.report()).checks.mqtt.status).toBe('down');
    const noStore = await setup({
      probeStore: () => {
        throw new Error('database is locked');
      },
    }).check.report();
    expect(noStore).toMatchObject({ status: 'down', checks: { store: { detail: 'database is locked' } } });
    const full = await setup({ journal: () => ({ ...journal, bytes: 1000 }) }).check.report();
    expect(full).toMatchObject({ status: 'down', checks: { journal: { status: 'down' } } });
  });

  it('asks InfluxDB at most once per cache period, however often it is polled', async () => {
    const s = setup();
    await Promise.all([s.check.report(), s.check.report(), s.check.report()]);
    s.advance(4999);
    await s.check.report();
    expect(s.probes()).toBe(1);
    s.setInflux(false);
    s.advance(1);
    expect((await s.check.report()).checks.influxdb.status).toBe('down');
    expect(s.probes()).toBe(2);
  });
});
