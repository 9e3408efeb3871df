// Reads the repository's `.env` (if present) under the real environment, which wins.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** `ENVSYNC_ENV_FILE` names another file; set it to `none` to read no file at all. */
export function withDotEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const file = env.ENVSYNC_ENV_FILE ?? path.join(repoRoot, '.env');
  if (file === 'none' || !existsSync(file)) return { ...env };
  const fromFile = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  return { ...fromFile, ...env };
}
