// Golden files: compare rendered text to tests/golden/<name>; UPDATE_GOLDEN=1 rewrites them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';

export function expectGolden(name: string, actual: string): void {
  const file = path.join(repoRoot, 'tests', 'golden', name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.CI && !existsSync(file))
      throw new Error(`golden file ${name} is missing (run UPDATE_GOLDEN=1 npm test)`);
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}
