// Builds the dashboard's client (web/src) into dist/dashboard/ with esbuild: one ES module and
// its stylesheet, served by the api from our own origin. Run by `pnpm build`, `pnpm test` and
// `pnpm dev`; `--watch` rebuilds on change.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const options = {
  entryPoints: { app: join(root, 'src', 'main.tsx') },
  outdir: join(root, '..', 'dist', 'dashboard'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
};

if (process.argv.includes('--watch')) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  const started = Date.now();
  await esbuild.build(options);
  console.log(`dashboard client built in ${Date.now() - started} ms`);
}
