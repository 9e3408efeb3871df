// sync refuses bad input and unready targets before touching anything (exit 2 / 1),
// and two runs on one target never interleave.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ENVSYNC_LOCK_KEY } from '../../scripts/lib/db/lock.ts';
import { makeStaleStaging } from '../../scripts/lib/demo/environment.ts';
import { prepareJob } from '../../scripts/lib/jobs/prepare.ts';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import { validateJob } from '../../scripts/lib/jobs/validate.ts';
import { dir } from '../helpers/backups.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { fingerprint } from '../helpers/sync.ts';

const ownCluster = process.env.TEST_DATABASE_URL ? test.skip : test;

let dev: TestDatabase;
let staging: TestDatabase;
let other: TestDatabase;
beforeAll(async () => {
  [dev, staging, other] = await Promise.all([
    supabaseDatabase({ scale: 1 }),
    supabaseDatabase({ migrations: false }),
    supabaseDatabase({ migrations: 2 }),
  ]);
  const app = staging.app();
  await makeStaleStaging(app, 1);
  await app.end();
});
afterAll(closeAll);

const env = (extra: Record<string, string> = {}) =>
  cleanEnv({
    DEV_DATABASE_URL: dev.url,
    STAGING_DATABASE_URL: staging.url,
    OTHER_DATABASE_URL: other.url,
    ...extra,
  });
const pair = ['--source', 'dev', '--target', 'staging'];

/** Runs `fn` and proves the target's schema did not move. */
async function unchanged(db: TestDatabase, fn: () => Promise<void>) {
  const before = await fingerprint(db);
  await fn();
  expect(await fingerprint(db)).toBe(before);
}

test('the same database spelled another way is refused (exit 2)', async () => {
  await unchanged(dev, async () => {
    const run = await runInProcess(syncJob, [
      '--source',
      dev.url,
      '--target',
      dev.url.replace('127.0.0.1', 'localhost'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^error: --target postgres:\/\/postgres@localhost:\d+\/\w+ is the same database as --source/m,
    );
  });
});

test('a production target without --allow-production is refused (exit 2)', async () => {
  await unchanged(staging, async () => {
    const run = await runInProcess(
      syncJob,
      ['--source', 'dev', '--target', 'production'],
      env({ PRODUCTION_DATABASE_URL: staging.url }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is production (it is named production): sync writes to it');
    const byUrl = await runInProcess(
      syncJob,
      ['--source', 'dev', '--target', staging.url],
      env({ PRODUCTION_DATABASE_URL: staging.url }),
    );
    expect(byUrl.code).toBe(2);
  });
});

describe('plans', () => {
  let plan: string;
  beforeAll(async () => {
    plan = dir('plan');
    const run = await runInProcess(prepareJob, [...pair, '--out', plan], env());
    expect(run.code).toBe(0);
  });

  /** A copy of the good plan with `change` applied to its plan.json. */
  const planWith = (change: (p: Record<string, unknown>) => void) => {
    const d = dir('plan-copy');
    const p = JSON.parse(readFileSync(path.join(plan, 'plan.json'), 'utf8')) as Record<string, unknown>;
    change(p);
    writeFileSync(path.join(d, 'plan.json'), JSON.stringify(p));
    return d;
  };

  test('a plan whose preflight failed, one without a snapshot, or an old one is refused (exit 2)', async () => {
    await unchanged(staging, async () => {
      const failed = planWith((p) => {
        (p.checks as { status: string }[])[0]!.status = 'fail';
      });
      const notReady = await runInProcess(syncJob, [...pair, '--plan', failed], env());
      expect(notReady.code).toBe(2);
      expect(notReady.stderr).toMatch(
        /^error: --plan .*: prepare's preflight failed \(.+\); the plan is not ready$/m,
      );

      const noSnapshot = dir('plan-nosnap');
      expect(
        (await runInProcess(prepareJob, [...pair, '--no-snapshot', '--out', noSnapshot], env())).code,
      ).toBe(0);
      const bare = await runInProcess(syncJob, [...pair, '--plan', noSnapshot], env());
      expect(bare.code).toBe(2);
      expect(bare.stderr).toMatch(/^error: --plan .* has no rollback snapshot of the target/m);
      // A dry run needs no way back.
      expect((await runInProcess(syncJob, [...pair, '--plan', noSnapshot, '--dry-run'], env())).code).toBe(0);

      const old = planWith((p) => {
        p.createdAt = new Date(Date.now() - 2 * 86_400_000).toISOString();
      });
      const stale = await runInProcess(syncJob, [...pair, '--plan', old], env());
      expect(stale.code).toBe(2);
      expect(stale.stderr).toMatch(
        /^error: --plan .* was prepared at .*: older than --max-plan-age 720 min$/m,
      );
      const strict = await runInProcess(syncJob, [...pair, '--plan', plan, '--max-plan-age', '0s'], env());
      expect(strict.code).toBe(2);
    });
  });

  test('--platform-tables other than the plan’s is refused: the snapshot holds only those (exit 2)', async () => {
    await unchanged(staging, async () => {
      const run = await runInProcess(
        syncJob,
        [...pair, '--plan', plan, '--platform-tables', 'auth.users'],
        env(),
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^error: --platform-tables auth\.users is not what --plan .* was prepared for/m,
      );
    });
  });

  test('a plan prepared for other databases is refused (exit 2)', async () => {
    await unchanged(other, async () => {
      const run = await runInProcess(
        syncJob,
        ['--source', 'dev', '--target', 'other', '--plan', plan],
        env(),
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: --plan .* was prepared for .*, not these databases/m);
    });
  });

  test('a corrupt plan is refused (exit 2)', async () => {
    const bad = dir('bad-plan');
    writeFileSync(path.join(bad, 'plan.json'), '{"format": "envsync-plan/1", "source": ');
    const run = await runInProcess(syncJob, [...pair, '--plan', bad], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: --plan .* plan\.json is not valid JSON/m);
  });

  test('an outdated plan is refused once the source schema moved (exit 2)', async () => {
    const sql = dev.app();
    await sql`create table public.added_after_prepare (id int primary key)`;
    try {
      await unchanged(staging, async () => {
        const run = await runInProcess(syncJob, [...pair, '--plan', plan], env());
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(/^error: --plan .* is outdated: the source schema changed since prepare/m);
      });
    } finally {
      await sql`drop table public.added_after_prepare`;
      await sql.end();
    }
  });
});

ownCluster(
  'a role or extension the target lacks fails the preflight by name (exit 1), nothing changed',
  async () => {
    const su = dev.superuser();
    await su.unsafe(`
    create role auditor nologin;
    grant select on public.audit_log to auditor;
    create extension pg_stat_statements with schema extensions;
  `);
    try {
      await unchanged(staging, async () => {
        const d = dir('preflight');
        const run = await runInProcess(syncJob, [...pair, '--out', d], env());
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(
          /^error: preflight failed: .*extensions: missing on the target and not creatable by postgres: pg_stat_statements/m,
        );
        expect(run.stderr).toMatch(
          /roles: the source's owners, grants or policies name roles the target lacks: auditor/,
        );
        const prepared = await runInProcess(prepareJob, [...pair, '--out', d], env());
        expect(prepared.code).toBe(1);
        expect(prepared.stderr).toContain('preflight failed for');
      });
    } finally {
      await su.unsafe(
        `drop extension pg_stat_statements; revoke all on public.audit_log from auditor; drop role auditor;`,
      );
      await su.end();
    }
  },
);

test('another envsync run holding the target makes sync fail cleanly (exit 1)', async () => {
  const holder = staging.app();
  await holder`select pg_advisory_lock(${ENVSYNC_LOCK_KEY}::int8)`;
  try {
    await unchanged(staging, async () => {
      const run = await runInProcess(syncJob, [...pair, '--out', dir('locked')], env());
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('another envsync run holds the target');
    });
  } finally {
    await holder.end();
  }
});

test('two syncs started together never interleave: the target ends an exact replica', async () => {
  const runs = await Promise.all([
    runInProcess(syncJob, [...pair, '--out', dir('first')], env()),
    runInProcess(syncJob, [...pair, '--out', dir('second')], env()),
  ]);
  const codes = runs.map((r) => r.code).sort();
  expect([
    [0, 0],
    [0, 1],
  ]).toContainEqual(codes);
  for (const r of runs.filter((x) => x.code === 1)) expect(r.stderr).toContain('another envsync run holds');
  const v = await runInProcess(validateJob, [...pair, '--out', dir('validate')], env());
  expect(v.code).toBe(0);
});
