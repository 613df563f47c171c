import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_ARGS } from '../../scripts/service-node-args.js';
import { repoRoot } from '../support/service-process.js';

const scripts = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

describe('the node flags the services start with', () => {
  it.each(['start:broker', 'start:ingest', 'start:api', 'dev'])(
    'are the ones package.json script %s starts node with',
    (name) => {
      const command = scripts[name] ?? '';
      const node = command.split('&&').find((part) => /^\s*node /.test(part) && !part.includes('build.mjs'));
      const flags = (node ?? '').trim().split(/\s+/).slice(1);
      for (const flag of SERVICE_NODE_ARGS) expect(flags).toContain(flag);
    },
  );
});
