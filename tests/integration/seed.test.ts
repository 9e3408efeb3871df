// seed: deterministic demo data, one transaction, never into production.

import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import {
  describeSeedProgress,
  type SeedProgress,
  seedDemoData,
  seedTables,
} from '../../scripts/lib/demo/seed-data.ts';
import { seedJob } from '../../scripts/lib/jobs/seed.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import type { SeedResult } from '../../scripts/lib/results/seed.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase } from '../helpers/supabase-db.ts';

afterAll(closeAll);

const out = () => mkdtempSync(path.join(os.tmpdir(), 'envsync-seed-'));

/** Every seeded table's rows, as one order-independent fingerprint per table. */
async function fingerprint(url: string): Promise<Record<string, string>> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const result: Record<string, string> = {};
    for (const { schema, table } of seedTables) {
      const [exists] = await sql`select to_regclass(${`"${schema}"."${table}"`}) is not null as ok`;
      if (!exists!.ok) continue;
      const [r] =
        await sql`select count(*)::text || ':' || coalesce(md5(string_agg(md5(x::text), '' order by md5(x::text))), '') as f
                            from ${sql(schema)}.${sql(table)} x`;
      result[`${schema}.${table}`] = r!.f;
    }
    return result;
  } finally {
    await sql.end();
  }
}

test('seed --migrate fills an empty Supabase-shaped database; the same scale gives the same rows', async () => {
  const [a, b] = await Promise.all([
    supabaseDatabase({ migrations: false }),
    supabaseDatabase({ migrations: false }),
  ]);
  const dir = out();
  const run = await runInProcess(
    seedJob,
    ['--db', 'dev', '--migrate', '--scale', '2', '--out', dir],
    cleanEnv({ DEV_DATABASE_URL: a.url }),
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const result = (JSON.parse(readFileSync(path.join(dir, 'seed.json'), 'utf8')) as JobRecord<SeedResult>)
    .result!;
  expect(result.tables.find((t) => t.table === 'public.chat_messages')!.rows).toBe(80_000);
  expect(result.rows).toBeGreaterThan(95_000);
  expect(result.skippedTables).toEqual([]);

  expect(
    (await runInProcess(seedJob, ['--db', b.url, '--migrate', '--scale', '2', '--out', out()])).code,
  ).toBe(0);
  const [fa, fb] = await Promise.all([fingerprint(a.url), fingerprint(b.url)]);
  expect(Object.keys(fa).length).toBeGreaterThan(15);
  expect(fa).toEqual(fb);
});

test('seeding twice fails in one transaction: exit 1, nothing added', async () => {
  const db = await supabaseDatabase({ scale: 1 });
  const before = await fingerprint(db.url);
  const run = await runInProcess(seedJob, ['--db', db.url, '--out', out()]);
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(
    /^error: seeding postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+ failed: duplicate key value/m,
  );
  expect(run.stderr).toMatch(/^hint: seed an empty database/m);
  expect(await fingerprint(db.url)).toEqual(before);
});

test('production is refused, by name or by the same URL', async () => {
  const byName = await runInProcess(
    seedJob,
    ['--db', 'production'],
    cleanEnv({ PRODUCTION_DATABASE_URL: 'postgres://u:p@prod.example.test/postgres' }),
  );
  expect(byName.code).toBe(2);
  expect(byName.stderr).toMatch(/^error: --db is production: seed never writes demo data there$/m);
  const byUrl = await runInProcess(
    seedJob,
    ['--db', 'postgres://u:other@prod.example.test:5432/postgres'],
    cleanEnv({ PRODUCTION_DATABASE_URL: 'postgres://u:p@prod.example.test/postgres' }),
  );
  expect(byUrl.code).toBe(2);
});

test('long tables report progress with rate and ETA', async () => {
  const db = await supabaseDatabase();
  const seen: SeedProgress[] = [];
  const sql = db.app();
  try {
    await seedDemoData(sql, { scale: 1, progressEveryMs: 0, onProgress: (p) => seen.push(p) });
  } finally {
    await sql.end();
  }
  const messages = seen.filter((p) => p.table === 'public.chat_messages');
  expect(messages.length).toBeGreaterThan(2);
  for (const p of messages) {
    expect(p.total).toBe(40_000);
    expect(p.done).toBeLessThanOrEqual(p.total);
    expect(p.rowsPerSecond).toBeGreaterThan(0);
    expect(p.etaSeconds).toBeGreaterThanOrEqual(0);
  }
  expect(describeSeedProgress(messages[0]!)).toMatch(
    /^public\.chat_messages: [\d,]+ of 40,000 rows, [\d,]+ rows\/s, about \d+ s left$/,
  );
});
