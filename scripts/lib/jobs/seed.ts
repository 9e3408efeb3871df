// seed: loads the demo app's deterministic data into a Supabase-shaped database
// (optionally applying the demo migrations first). A demo and benchmark tool.

import postgres from 'postgres';
import { InputError, JobError, readFlags } from '../base/errors.ts';
import { connectTimeoutFlag, parseConnectTimeout, requireDatabase } from '../cli/database-flags.ts';
import { connect, describePgError, driverConnection } from '../db/connect.ts';
import { productionReason, refuseKnownProduction } from '../db/guards.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { migrate } from '../demo/environment.ts';
import { describeSeedProgress, seedDemoData } from '../demo/seed-data.ts';
import { code, formatCount, formatDuration, table } from '../report/markdown.ts';
import type { SeedResult } from '../results/seed.ts';
import { parseScale } from './demo.ts';
import type { Job, JobContext } from './runner.ts';

export interface SeedJobOptions {
  db: DatabaseTarget;
  scale: number;
  migrate: boolean;
  connectTimeout: number;
  env: NodeJS.ProcessEnv;
}

/** seed never writes demo data into production, whatever flag is given. */
const productionRefusal = () =>
  new InputError(
    '--db is production: seed never writes demo data there',
    'seed dev, staging or a local database',
  );

export async function runSeed(ctx: JobContext, o: SeedJobOptions): Promise<SeedResult> {
  const started = ctx.now().getTime();
  // connect() gives the one-line errors for bad URLs and passwords; COPY needs a plain client.
  const probe = await connect(o.db, { applicationName: 'envsync seed', connectTimeout: o.connectTimeout });
  try {
    if (await productionReason(probe, o.db, o.env)) throw productionRefusal();
  } finally {
    await probe.end();
  }
  const driver = driverConnection(o.db.url);
  const sql = postgres(driver.url, {
    ssl: driver.ssl,
    max: 1,
    onnotice: () => {},
    connection: { application_name: 'envsync seed' },
  });
  const tables: SeedResult['tables'] = [];
  try {
    if (o.migrate) {
      ctx.log.info('applying the demo app migrations from supabase/migrations');
      await migrate(sql);
    }
    ctx.log.info(`seeding ${o.db.display} at scale ${o.scale}`);
    const seeded = await seedDemoData(sql, {
      scale: o.scale,
      onProgress: (p) => ctx.log.info(`  ${describeSeedProgress(p)}`),
      onTable: (t, rows, ms) => {
        tables.push({ table: t, rows, ms });
        const rate = ms > 0 ? Math.round((rows / ms) * 1000) : rows;
        ctx.log.info(
          `  ${t}: ${rows.toLocaleString('en-US')} rows in ${ms} ms (${rate.toLocaleString('en-US')} rows/s)`,
        );
      },
    });
    return {
      target: { name: o.db.name, display: o.db.display },
      scale: o.scale,
      migrated: o.migrate,
      tables,
      skippedTables: seeded.skippedTables,
      rows: tables.reduce((s, t) => s + t.rows, 0),
      durationMs: ctx.now().getTime() - started,
    };
  } catch (error) {
    throw new JobError(
      `seeding ${o.db.display} failed: ${describePgError(error)}`,
      'seed an empty database that has the demo migrations (add --migrate on a fresh one); nothing was written',
      { cause: error },
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export const seedJob: Job<SeedJobOptions, SeedResult> = {
  name: 'seed',
  description:
    'Loads the demo app’s deterministic data (scale 1 ≈ 50k rows, 100 ≈ 5M rows) with COPY in one transaction. ' +
    'The database must be Supabase-shaped (supabase/platform) and empty; --migrate applies the demo migrations first. ' +
    'Refuses production.',
  examples: [
    'npm run seed -- --db dev --scale 20',
    'npm run seed -- --db postgres://postgres:pw@localhost:5432/postgres --migrate',
  ],
  flags: {
    db: {
      type: 'string',
      value: '<env|url>',
      description: 'database to seed: dev, staging or a URL (never production)',
    },
    scale: { type: 'string', value: '<n>', description: 'data size: 1 ≈ 50k rows (default), 100 ≈ 5M rows' },
    migrate: { type: 'boolean', description: 'apply supabase/migrations first' },
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags, env) {
    return {
      ...readFlags({
        db: () => {
          const db = requireDatabase(flags, 'db', env);
          try {
            refuseKnownProduction(db, env, false, 'seed');
          } catch {
            throw productionRefusal();
          }
          return db;
        },
        scale: () => parseScale(flags.scale),
        connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
      }),
      migrate: flags.migrate === true,
      env,
    };
  },
  run: runSeed,
  render: (r) =>
    [
      `## envsync seed — ${code(r.target.display)}`,
      '',
      `Scale ${r.scale}: ${formatCount(r.rows)} rows in ${formatDuration(r.durationMs)}${r.migrated ? ' (after applying the demo migrations)' : ''}.`,
      '',
      table(
        ['Table', 'Rows', 'Time'],
        r.tables.map((t) => [code(t.table), formatCount(t.rows), formatDuration(t.ms)]),
        ['l', 'r', 'r'],
      ),
      r.skippedTables.length
        ? `\nNot in this database (skipped): ${r.skippedTables.map(code).join(', ')}`
        : '',
      '',
    ].join('\n'),
  verdict: (r) => ({
    ok: true,
    headline: `seeded ${r.rows.toLocaleString('en-US')} rows at scale ${r.scale} in ${(r.durationMs / 1000).toFixed(1)} s`,
    problems: [],
    warnings: [],
  }),
  outputs: (r) => ({ rows: r.rows, scale: r.scale }),
};
