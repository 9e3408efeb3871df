// Exact on schemas nobody here wrote: the catalog coverage fixture (every object kind pg_dump
// emits for an app schema, in its awkward forms) on the faithful Supabase platform fixture,
// connecting as the non-superuser `postgres`. sync onto a differently populated target,
// backup → rollback, validate and analyze are each proven by `pg_dump --schema-only`,
// every table's count and checksum, and sequences.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { analyzeJob } from '../../scripts/lib/jobs/analyze.ts';
import { prepareJob } from '../../scripts/lib/jobs/prepare.ts';
import { rollbackJob } from '../../scripts/lib/jobs/rollback.ts';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import { validateJob } from '../../scripts/lib/jobs/validate.ts';
import type { AnalyzeResult } from '../../scripts/lib/results/analyze.ts';
import type { PrepareResult } from '../../scripts/lib/results/prepare.ts';
import type { ValidateResult } from '../../scripts/lib/results/validate.ts';
import { dir, record, sameAs, snapshotOf } from '../helpers/backups.ts';
import {
  COVERAGE_SCHEMAS,
  loadCoverageSource,
  loadStaleTarget,
  STALE_TARGET_SCHEMAS,
} from '../helpers/coverage.ts';
import { cleanEnv, runInProcess, type ScriptRun } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { schemaDump } from '../helpers/sync.ts';

let source: TestDatabase;
let target: TestDatabase;
let env: NodeJS.ProcessEnv;
const schemas = [...COVERAGE_SCHEMAS];
const staleSchemas = [...STALE_TARGET_SCHEMAS];

/** What a privilege check sees for the API roles on every app function and table. */
async function apiPrivileges(db: TestDatabase): Promise<string[]> {
  const sql = db.app();
  try {
    const rows = await sql`
      select format('%s %s anon:%s authenticated:%s', 'function', p.oid::regprocedure,
                    has_function_privilege('anon', p.oid, 'EXECUTE'), has_function_privilege('authenticated', p.oid, 'EXECUTE')) as line
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = any(${schemas}::text[]) and p.prokind <> 'a'
        and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
      union all
      select format('%s %s anon:%s/%s authenticated:%s/%s', c.relkind, c.oid::regclass,
                    has_table_privilege('anon', c.oid, 'SELECT'), has_table_privilege('anon', c.oid, 'INSERT,UPDATE,DELETE'),
                    has_table_privilege('authenticated', c.oid, 'SELECT'), has_table_privilege('authenticated', c.oid, 'INSERT,UPDATE,DELETE'))
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any(${schemas}::text[]) and c.relkind in ('r', 'p', 'v', 'm', 'S')
      order by 1`;
    return rows.map((r) => String(r.line));
  } finally {
    await sql.end();
  }
}

beforeAll(async () => {
  [source, target] = await Promise.all([
    supabaseDatabase({ migrations: false }),
    supabaseDatabase({ migrations: false }),
  ]);
  const [a, b] = [source.app(), target.app()];
  try {
    await Promise.all([loadCoverageSource(a), loadStaleTarget(b)]);
  } finally {
    await Promise.all([a.end(), b.end()]);
  }
  env = cleanEnv({ DEV_DATABASE_URL: source.url, STAGING_DATABASE_URL: target.url });
});
afterAll(closeAll);

test('prepare refuses what only a superuser can do: pg_trgm in another schema on the target', async () => {
  const out = dir('cov-prepare-ext');
  const run = await runInProcess(prepareJob, ['--source', 'dev', '--target', 'staging', '--out', out], env);
  expect(run.stderr).toMatch(/extension schemas: .*pg_trgm \(source public, target extensions\)/);
  expect(run.code).toBe(1);
  expect(existsSync(path.join(out, 'snapshot'))).toBe(false);
});

describe('once a superuser moved pg_trgm as the hint says', () => {
  let staleDump: string;
  let prepareDir: string;
  let before: string;
  let prepared: ScriptRun;
  beforeAll(async () => {
    // What the hint says, done by a superuser; the rest of the stale target stays as it was.
    const su = target.superuser();
    await su`alter extension pg_trgm set schema public`;
    await su.end();
    staleDump = schemaDump(target, staleSchemas);
    prepareDir = dir('cov-prepare');
    prepared = await runInProcess(
      prepareJob,
      ['--source', 'dev', '--target', 'staging', '--out', prepareDir],
      env,
    );
    before = path.join(prepareDir, 'snapshot');
  });

  test('prepare: every kind carried, nothing outside the schemas lost, the target’s snapshot taken', () => {
    expect(prepared.stderr).toBe('');
    expect(prepared.code).toBe(0);
    const plan = record<PrepareResult>(prepareDir, 'prepare').result!.plan;
    const check = (name: string) => plan.checks.find((c) => c.name === name);
    expect(check('object kinds')?.status).toBe('pass');
    expect(check('dependents outside the app schemas')?.status).toBe('pass');
    expect(check('publications')?.status).toBe('pass');
    expect(existsSync(path.join(before, 'manifest.json'))).toBe(true);
  });

  describe('after sync --plan', () => {
    let audit: number;
    let synced: ScriptRun;
    beforeAll(async () => {
      const s = source.app();
      try {
        audit = (await s`select count(*)::int as n from public."Audit Trail"`)[0]!.n;
      } finally {
        await s.end();
      }
      synced = await runInProcess(
        syncJob,
        ['--source', 'dev', '--target', 'staging', '--plan', prepareDir, '--out', dir('cov-sync')],
        env,
      );
    });

    test('sync onto a differently populated target: pg_dump --schema-only identical, validate exact', async () => {
      expect(synced.stderr).toBe('');
      expect(synced.code).toBe(0);
      expect(schemaDump(target, schemas)).toBe(schemaDump(source, schemas));
      // Everything only the stale target had is gone, whatever its kind.
      const t = target.app();
      try {
        const [legacy] = await t`select count(*)::int as n from pg_namespace where nspname = 'legacy'`;
        expect(legacy!.n).toBe(0);
        const [row] = await t`select count(*)::int as n from public."Audit Trail"`;
        expect(row!.n).toBe(audit); // no trigger fired during the load
        const [hstore] = await t`select count(*)::int as n from pg_extension where extname = 'hstore'`;
        expect(hstore!.n).toBe(0);
      } finally {
        await t.end();
      }
      expect(await apiPrivileges(target)).toEqual(await apiPrivileges(source));

      const out = dir('cov-validate');
      const validate = await runInProcess(
        validateJob,
        ['--source', 'dev', '--target', 'staging', '--out', out],
        env,
      );
      const result = record<ValidateResult>(out, 'validate').result!;
      expect(result.schemaDump).toEqual([]);
      expect(result.objects).toEqual([]);
      expect(result.data).toEqual([]);
      expect(result.sequences).toEqual([]);
      expect(validate.code).toBe(0);
    });

    test('validate finds a difference in a kind the catalog model does not describe, and locates a changed row in a partition', async () => {
      const t = target.app();
      try {
        await t`comment on collation public.case_insensitive is 'changed on the target'`;
        const [changed] = await t`update public.orders_2024_odd set note = 'changed on the target'
                                  where id = (select min(id) from public.orders_2024_odd) returning id, placed_at`;
        const out = dir('cov-validate-diff');
        const validate = await runInProcess(
          validateJob,
          ['--source', 'dev', '--target', 'staging', '--locate', '--out', out],
          env,
        );
        expect(validate.code).toBe(1);
        const result = record<ValidateResult>(out, 'validate').result!;
        expect(result.schemaDump.map((d) => `${d.kind} ${d.change}`)).toEqual(['comment differs']);
        // Only the leaf differs (its parents hold no rows of their own), and the audit table: the
        // replica's audit trigger fired on the update, as the app's triggers should.
        expect(result.data.map((d) => d.table)).toEqual(['public.Audit Trail', 'public.orders_2024_odd']);
        const leaf = result.located.find((l) => l.table === 'public.orders_2024_odd')!;
        expect(leaf.primaryKey).toEqual(['id', 'placed_at']);
        expect(leaf.keys).toHaveLength(1);
        expect(leaf.keys[0]).toContain(String(changed!.id));
      } finally {
        await t.end();
      }
    });

    test('backup → rollback restores the stale target exactly (schema dump, counts, checksums, sequences)', async () => {
      expect((await sameAs(target, before)).identical).toBe(false);
      const out = dir('cov-rollback');
      const run = await runInProcess(
        rollbackJob,
        ['--target', 'staging', '--from', before, '--out', out],
        env,
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(schemaDump(target, staleSchemas)).toBe(staleDump);
      // Schemas the sync created are removed again.
      const t = target.app();
      const [archive] = await t`select count(*)::int as n from pg_namespace where nspname = 'archive'`;
      await t.end();
      expect(archive!.n).toBe(0);
      expect(await sameAs(target, before)).toEqual({ identical: true, tables: [] });
    });
  });
});

test('backup → rollback of the coverage source onto a copy of it after changes', async () => {
  const snap = await snapshotOf(source);
  const dumpBefore = schemaDump(source, schemas);
  const s = source.app();
  try {
    await s.unsafe(`
      drop table inventory.stock_moves cascade;
      create collation public.later (provider = icu, locale = 'de');
      drop collation inventory.bytewise cascade;
      update public.customers set email = email || '.changed';
    `);
  } finally {
    await s.end();
  }
  const run = await runInProcess(rollbackJob, [
    '--target',
    source.url,
    '--from',
    snap,
    '--out',
    dir('cov-rb2'),
  ]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(schemaDump(source, schemas)).toBe(dumpBefore);
  expect(await sameAs(source, snap)).toEqual({ identical: true, tables: [] });
});

test('analyze: partitions under their parents with their keys, counts not doubled', async () => {
  const out = dir('cov-analyze');
  const run = await runInProcess(analyzeJob, ['--db', source.url, '--out', out]);
  expect(run.code).toBe(0);
  const inv = record<AnalyzeResult>(out, 'analyze').result!;
  const tables = new Map(inv.tables.map((t) => [`${t.schema}.${t.name}`, t]));
  // A partition created on its own in another schema, with another column order, then attached.
  const attached = tables.get('archive.orders_2022')!;
  expect(attached.partitionOf).toBe('public.orders');
  expect(attached.primaryKey.length).toBeGreaterThan(0);
  expect(tables.get('public.orders')!.kind).toBe('partitioned');
  const sql = source.app();
  try {
    const [{ n }] = (await sql`select count(*)::int as n from public.orders`) as unknown as [{ n: number }];
    const leaves = inv.tables.filter(
      (t) =>
        t.kind === 'table' &&
        (t.partitionOf === 'public.orders' || t.partitionOf?.startsWith('public.orders_')),
    );
    expect(leaves.reduce((s, t) => s + (t.rowCount ?? 0), 0)).toBe(n);
    // The app's tables hold, in total, what their leaves hold: a parent's rows are not counted twice.
    const holding = inv.tables.filter((t) => !t.platform && t.kind === 'table');
    let total = 0;
    for (const t of holding) {
      const [r] = await sql`select count(*)::int as n from only ${sql(t.schema)}.${sql(t.name)}`;
      total += r!.n;
    }
    expect(inv.counts.app.rows).toBe(total);
  } finally {
    await sql.end();
  }
});
