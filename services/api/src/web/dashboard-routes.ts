import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env, Hono } from 'hono';
import { ApiError, errorResponse } from '../http/api-error.js';

/**
 * Where `web/build.mjs` writes the client bundle. The same folder whether this module runs from
 * `src/web/` (tsx) or from `dist/web/` (compiled): two levels up is the package either way.
 */
export const DASHBOARD_BUILD_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
  'dashboard',
);

const TYPES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'app.js.map': 'application/json; charset=utf-8',
};

// Everything from our origin: many sites run without internet, and a page that loads nothing
// from elsewhere cannot be changed by anyone else. ECharts sets inline style attributes.
const SECURITY = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

// The shell only: the client renders every page, in zh-CN unless the reader chose English.
const PAGE = `<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="color-scheme" content="light">
  <title>冷链监控 · Cold-chain dashboard</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/app/assets/app.css">
</head>
<body>
  <div id="app"><p class="boot">正在加载… Loading…</p></div>
  <noscript>此页面需要 JavaScript。This page needs JavaScript.</noscript>
  <script src="/app/assets/echarts.min.js"></script>
  <script type="module" src="/app/assets/app.js"></script>
</body>
</html>`;

/**
 * The operator dashboard under `/app/`, served by the api itself: the page shell, the client
 * bundle built by `web/build.mjs`, and ECharts' browser build from our own dependency. The client
 * speaks to the public HTTP API on the same origin, like any other client.
 */
export function dashboardRoutes<E extends Env>(app: Hono<E>, opts: { buildDir?: string } = {}) {
  const buildDir = opts.buildDir ?? DASHBOARD_BUILD_DIR;
  const echartsFile = join(
    dirname(createRequire(import.meta.url).resolve('echarts/package.json')),
    'dist',
    'echarts.min.js',
  );
  let echarts: Promise<Buffer> | null = null;

  app.get('/', (c) => c.redirect('/app/'));
  app.get('/app', (c) => c.redirect('/app/'));
  app.get('/app/', (c) => c.html(PAGE, 200, { ...SECURITY, 'cache-control': 'no-cache' }));
  app.get('/app/assets/echarts.min.js', async (c) => {
    echarts ??= readFile(echartsFile);
    return c.body(new Uint8Array(await echarts), 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
      ...SECURITY,
    });
  });
  app.get('/app/assets/:file', async (c) => {
    const name = c.req.param('file');
    const type = TYPES[name];
    if (!type) return c.notFound();
    // Read on each request (a few hundred kB, no-cache): a rebuild under `pnpm dev` shows at once.
    const body = await readFile(join(buildDir, name)).catch(() => null);
    if (!body)
      return errorResponse(
        c,
        new ApiError('unavailable', 'the dashboard is not built: run `pnpm build` (or `pnpm dev`)'),
      );
    return c.body(new Uint8Array(body), 200, {
      'content-type': type,
      'cache-control': 'no-cache',
      ...SECURITY,
    });
  });
}
