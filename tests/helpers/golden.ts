// Golden files: rendered text must equal tests/golden/<name>. A missing golden fails the test;
// only UPDATE_GOLDEN=1 writes or rewrites one, so a new golden is reviewed before it is trusted.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';

export const goldenDir = path.join(repoRoot, 'tests', 'golden');

export function expectGolden(name: string, actual: string): void {
  const file = path.join(goldenDir, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    if (!existsSync(file) || readFileSync(file, 'utf8') !== actual) writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    const testPath = expect.getState().testPath;
    const testFile = testPath ? path.relative(repoRoot, testPath) : '<test file>';
    throw new Error(
      `golden file tests/golden/${name} is missing: create it with \`UPDATE_GOLDEN=1 npm test -- ${testFile}\`, then read it before committing it`,
    );
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}
