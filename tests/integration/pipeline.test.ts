// run-pipeline: a failure after the sync committed (the app's health check answers
// 500) rolls staging back to its snapshot — data, schema and grants exactly as before.
import type { PipelineResult } from '../../scripts/lib/results/run-pipeline.ts';
import { dir, record, sameAs, snapshotOf } from '../helpers/backups.ts';
import { cleanEnv, runScript } from '../helpers/run-script.ts';
import { closeAll, type TestDatabase } from '../helpers/supabase-db.ts';
import { brokenDeploy, devAndStaleStaging, fingerprint } from '../helpers/sync.ts';

let dev: TestDatabase;
let staging: TestDatabase;
beforeAll(async () => {
  [dev, staging] = await devAndStaleStaging();
});
afterAll(closeAll);

test('a failing health check after sync rolls staging back to exactly its snapshot', async () => {
  const app = await brokenDeploy();
  const url = app.url;
  try {
    const before = await snapshotOf(staging);
    const schema = await fingerprint(staging);
    const out = dir('pipeline');
    const env = cleanEnv({ DEV_DATABASE_URL: dev.url, STAGING_DATABASE_URL: staging.url });
    const run = await runScript(
      'run-pipeline',
      ['--source', 'dev', '--target', 'staging', '--url', url, '--out', out],
      env,
    );
    expect(run.code).toBe(1);
    const r = record<PipelineResult>(out, 'run-pipeline').result!;
    expect(r.steps.map((s) => `${s.step}:${s.exitCode}`)).toEqual([
      'analyze:0',
      'backup:0',
      'prepare:0',
      'sync:0',
      'validate:0',
      'health-check:1',
      'rollback:0',
    ]);
    expect(r).toMatchObject({ ok: false, failedStep: 'health-check', rolledBack: true });
    expect(run.stderr).toContain('pipeline stopped at health-check');
    expect(await sameAs(staging, before)).toEqual({ identical: true, tables: [] });
    // The fingerprint covers every replicated object, grants and default privileges included.
    expect(await fingerprint(staging)).toBe(schema);
  } finally {
    app.close();
  }
});
