import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { dashboardRoutes } from './dashboard-routes.js';

describe('the dashboard routes', () => {
  const built = mkdtempSync(join(tmpdir(), 'coldchain-dashboard-'));
  writeFileSync(join(built, 'app.js'), 'console.log("app")');
  const app = new Hono();
  dashboardRoutes(app, { buildDir: built });
  const missing = new Hono();
  dashboardRoutes(missing, { buildDir: join(built, 'nothing-here') });
  afterAll(() => rmSync(built, { recursive: true, force: true }));

  it('serves the shell with every script and stylesheet from our origin, under a strict policy', async () => {
    const res = await app.request('/app/');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<html lang="zh-CN">');
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls).toEqual([
      'data:,',
      '/app/assets/app.css',
      '/app/assets/echarts.min.js',
      '/app/assets/app.js',
    ]);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-eval');
  });

  it("serves the bundle and ECharts' browser build, and nothing else from the folder", async () => {
    expect(await (await app.request('/app/assets/app.js')).text()).toBe('console.log("app")');
    const echarts = await app.request('/app/assets/echarts.min.js');
    expect(echarts.status).toBe(200);
    expect((await echarts.text()).length).toBeGreaterThan(100_000);
    expect((await app.request('/app/assets/..%2Fpackage.json')).status).toBe(404);
    expect((await app.request('/app/assets/other.js')).status).toBe(404);
  });

  it('says how to build the client when it is missing, instead of an empty page', async () => {
    const res = await missing.request('/app/assets/app.js');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('pnpm build');
  });

  it('sends the root address to the dashboard', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/app/');
  });
});
