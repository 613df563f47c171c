import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The contents of a secret file in the data folder, created on first use with mode 0600. Creation
 * is exclusive (`wx`): of two processes starting at once on one data folder, one writes and both
 * read what it wrote, so they sign and verify with the same secret.
 */
export function readOrCreatePrivateFile(path: string, create: () => string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, create(), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFileSync(path, 'utf8');
}
