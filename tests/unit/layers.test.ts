// The import rule of docs/architecture.md is live: `npm run lint` refuses an upward import in
// each layer and lets the downward ones through (biome.json, noRestrictedImports per folder).
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const biome = path.join(root, 'node_modules/.bin/biome');

/** Lints a probe file placed in `folder` that imports `target`; true when the import is refused. */
function refused(folder: string, target: string): boolean {
  const file = path.join(root, 'scripts/lib', folder, 'zz-layer-probe.ts');
  writeFileSync(file, `import type * as probe from '${target}';\n\nexport type Probe = typeof probe;\n`);
  try {
    execFileSync(biome, ['lint', '--only=style/noRestrictedImports', file], { cwd: root, stdio: 'pipe' });
    return false;
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer };
    const out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    if (!out.includes('noRestrictedImports')) throw error;
    return true;
  } finally {
    rmSync(file, { force: true });
  }
}

test.each([
  ['report', '../jobs/sync.ts'],
  ['report', '../db/connect.ts'],
  ['report', '../sync/preflight.ts'],
  ['results', '../db/identity.ts'],
  ['results', '../jobs/runner.ts'],
  ['base', '../results/plan.ts'],
  ['db', '../cli/database-flags.ts'],
  ['db', '../catalog/inventory.ts'],
  ['catalog', '../sync/scope.ts'],
  ['replica', '../sync/plan.ts'],
  ['sync', '../backup/manifest.ts'],
  ['backup', '../sync/preflight.ts'],
  ['backup', '../jobs/backup.ts'],
  ['cli', '../jobs/runner.ts'],
  ['jobs', '../../../tests/helpers/sync.ts'],
  ['github', '../jobs/setup-github.ts'],
  ['github', '../report/setup-github-summary.ts'],
  ['github', '../sync/plan.ts'],
  ['github', '../content/engine.ts'],
  ['github', '../cli/database-flags.ts'],
  ['github', '../../../tests/helpers/golden.ts'],
  ['sync', '../github/client.ts'],
  ['migrations', '../github/settings-plan.ts'],
  ['db', '../github/client.ts'],
  ['report', '../github/repository-settings.ts'],
  ['masking', '../cli/config.ts'],
  ['masking', '../sync/neutralize.ts'],
  ['masking', '../jobs/sync.ts'],
])('%s/ may not import %s', (folder, target) => {
  expect(refused(folder, target)).toBe(true);
});

test.each([
  ['report', '../results/sync.ts'],
  ['report', '../catalog/model.ts'],
  ['results', '../catalog/model.ts'],
  ['results', '../base/errors.ts'],
  ['db', '../results/plan.ts'],
  ['sync', '../replica/replace.ts'],
  ['jobs', '../report/sync-summary.ts'],
  ['jobs', '../github/settings-plan.ts'],
  ['github', '../results/setup-github.ts'],
  ['github', '../base/errors.ts'],
  ['github', '../db/url.ts'],
])('%s/ may import %s', (folder, target) => {
  expect(refused(folder, target)).toBe(false);
});
