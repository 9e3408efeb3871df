// The kinds only a superuser may create (operator classes and families, text search parsers
// and templates, functions in untrusted languages, LEAKPROOF functions): prepare names each
// and stops when the target role is not a superuser; connected as a superuser, sync and
// rollback carry them exactly. Kinds that need database-wide objects envsync does not
// replicate (access methods, foreign servers) stop prepare whoever connects.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { prepareJob } from '../../scripts/lib/jobs/prepare.ts';
import { rollbackJob } from '../../scripts/lib/jobs/rollback.ts';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import { validateJob } from '../../scripts/lib/jobs/validate.ts';
import type { ValidateResult } from '../../scripts/lib/results/validate.ts';
import { dir, record, sameAs } from '../helpers/backups.ts';
import { COVERAGE_SCHEMAS, loadCoverageSource, type SuperuserKind } from '../helpers/coverage.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { schemaDump } from '../helpers/sync.ts';

const ownCluster = process.env.TEST_DATABASE_URL ? describe.skip : describe;
const schemas = [...COVERAGE_SCHEMAS];
afterAll(closeAll);

async function sourceWith(kinds: SuperuserKind[]): Promise<TestDatabase> {
  const db = await supabaseDatabase({ migrations: false });
  const [app, su] = [db.app(), db.superuser()];
  try {
    await loadCoverageSource(app, su, { superuserKinds: kinds });
  } finally {
    await Promise.all([app.end(), su.end()]);
  }
  return db;
}

ownCluster('superuser-only kinds', () => {
  const kinds: SuperuserKind[] = [
    'operator-class',
    'text-search-parser-template',
    'internal-function',
    'leakproof-function',
  ];
  let source: TestDatabase;
  let target: TestDatabase;
  beforeAll(async () => {
    [source, target] = await Promise.all([sourceWith(kinds), supabaseDatabase({ migrations: false })]);
  });

  test('as the non-superuser postgres, prepare names every one and touches nothing', async () => {
    const out = dir('su-prepare');
    const env = cleanEnv({ DEV_DATABASE_URL: source.url, STAGING_DATABASE_URL: target.url });
    const run = await runInProcess(prepareJob, ['--source', 'dev', '--target', 'staging', '--out', out], env);
    expect(run.code).toBe(1);
    for (const what of [
      // The operator class goes with its family (an automatic dependency): the family is named.
      /operator family .*"reverse family" USING btree \(only a superuser may create an operator family\)/,
      /text search parser .*"cov parser"/,
      /text search template .*"cov template"/,
      /\(only a superuser may create a LEAKPROOF function\)/,
      /\(only a superuser may create a function in language internal\)/,
    ]) {
      expect(run.stderr).toMatch(what);
    }
    expect(existsSync(path.join(out, 'snapshot'))).toBe(false);
  });

  test('as a superuser, prepare → sync → validate is exact, and rollback restores the target', async () => {
    const env = cleanEnv({
      DEV_DATABASE_URL: source.cluster!.superuserUrl(),
      STAGING_DATABASE_URL: target.cluster!.superuserUrl(),
    });
    const targetBefore = schemaDump(target, ['public']);
    const prepareDir = dir('su-prepare-ok');
    const prepare = await runInProcess(
      prepareJob,
      ['--source', 'dev', '--target', 'staging', '--out', prepareDir],
      env,
    );
    expect(prepare.stderr).toBe('');
    expect(prepare.code).toBe(0);
    const sync = await runInProcess(
      syncJob,
      ['--source', 'dev', '--target', 'staging', '--plan', prepareDir, '--out', dir('su-sync')],
      env,
    );
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    expect(schemaDump(target, schemas)).toBe(schemaDump(source, schemas));
    const out = dir('su-validate');
    const validate = await runInProcess(
      validateJob,
      ['--source', 'dev', '--target', 'staging', '--out', out],
      env,
    );
    const result = record<ValidateResult>(out, 'validate').result!;
    expect({ dump: result.schemaDump, objects: result.objects, data: result.data }).toEqual({
      dump: [],
      objects: [],
      data: [],
    });
    expect(validate.code).toBe(0);

    const snapshot = path.join(prepareDir, 'snapshot');
    const rollback = await runInProcess(
      rollbackJob,
      ['--target', 'staging', '--from', snapshot, '--out', dir('su-rollback')],
      env,
    );
    expect(rollback.stderr).toBe('');
    expect(rollback.code).toBe(0);
    expect(schemaDump(target, ['public'])).toBe(targetBefore);
    expect(await sameAs(target, snapshot)).toEqual({ identical: true, tables: [] });
  });
});

ownCluster('kinds that need database-wide objects envsync does not replicate', () => {
  test('a table of a custom access method and a foreign table stop prepare, even for a superuser', async () => {
    const [source, target] = await Promise.all([
      sourceWith(['access-method', 'foreign-table']),
      supabaseDatabase({ migrations: false }),
    ]);
    const env = cleanEnv({
      DEV_DATABASE_URL: source.cluster!.superuserUrl(),
      STAGING_DATABASE_URL: target.cluster!.superuserUrl(),
    });
    const run = await runInProcess(
      prepareJob,
      ['--source', 'dev', '--target', 'staging', '--out', dir('su-am')],
      env,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/access method \S+ \(the target has none of that name/);
    expect(run.stderr).toMatch(/foreign table .* \(envsync cannot replace a foreign table\)/);
  });
});
