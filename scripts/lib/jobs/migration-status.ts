// migration-status: where every migration stands on every environment, in one table — applied,
// pending, edited since applied, missing locally, out of order — read, never written.

import { InputError, readFlags } from '../base/errors.ts';
import { connectTimeoutFlag, parseConnectTimeout, parseList } from '../cli/database-flags.ts';
import { connect } from '../db/connect.ts';
import { type DatabaseTarget, resolveDatabase } from '../db/url.ts';
import { readMigrations } from '../migrations/files.ts';
import { readHistory } from '../migrations/history.ts';
import { migrationStatus } from '../migrations/plan.ts';
import { splitStatements } from '../migrations/split.ts';
import { renderMigrationStatusSummary } from '../report/migration-status-summary.ts';
import type { MigrationState } from '../results/migrate.ts';
import type { MigrationStatusResult, MigrationStatusRow } from '../results/migration-status.ts';
import type { Job, JobContext } from './runner.ts';

export interface MigrationStatusOptions {
  databases: DatabaseTarget[];
  dir: string;
  connectTimeout: number;
}

const FINE: MigrationState[] = ['applied', 'pending'];

export async function runMigrationStatus(
  ctx: JobContext,
  o: MigrationStatusOptions,
): Promise<MigrationStatusResult> {
  const { files } = readMigrations(o.dir);
  const local = files.map((f) => ({
    version: f.version,
    name: f.name,
    file: f.file,
    statements: splitStatements(f.text),
  }));
  const perDatabase = await Promise.all(
    o.databases.map(async (db) => {
      const sql = await connect(db, {
        applicationName: 'envsync migration-status',
        connectTimeout: o.connectTimeout,
      });
      try {
        const status = migrationStatus(local, await readHistory(sql));
        ctx.log.info(
          `${db.name}: ${status.filter((s) => s.state === 'applied').length} applied, ${status.filter((s) => s.state === 'pending').length} pending`,
        );
        return new Map(status.map((s) => [s.version, s]));
      } finally {
        await sql.end({ timeout: 5 });
      }
    }),
  );
  const versions = [
    ...new Set([...local.map((l) => l.version), ...perDatabase.flatMap((m) => [...m.keys()])]),
  ].sort();
  const rows: MigrationStatusRow[] = versions.map((version) => {
    const l = local.find((x) => x.version === version);
    const states = perDatabase.map((m) => m.get(version)?.state ?? 'pending');
    const name = l?.name ?? perDatabase.map((m) => m.get(version)?.name).find(Boolean) ?? '';
    return { version, name, file: l?.file ?? null, states };
  });
  return {
    dir: o.dir,
    databases: o.databases.map((d) => ({ name: d.name, display: d.display })),
    rows,
    needAttention: o.databases
      .filter((_, i) => rows.some((r) => !FINE.includes(r.states[i]!)))
      .map((d) => (d.name === 'url' ? d.display : d.name)),
  };
}

/** `--db dev,staging,production`: every name or URL resolved, every bad one reported. */
function databasesOf(value: unknown, env: NodeJS.ProcessEnv): DatabaseTarget[] {
  const list = parseList(value);
  if (!list?.length)
    throw new InputError('--db is required', 'pass --db dev,staging,production (environment names or URLs)');
  const readers = Object.fromEntries(list.map((v, i) => [String(i), () => resolveDatabase('--db', v, env)]));
  return Object.values(readFlags<Record<string, DatabaseTarget>>(readers));
}

export const migrationStatusJob: Job<MigrationStatusOptions, MigrationStatusResult> = {
  name: 'migration-status',
  description:
    'One table of every migration version against every environment (--db dev,staging,production): applied, ' +
    'pending, edited since applied, missing locally, out of order. Reads only. Exit 1 when an environment has ' +
    'something to fix (pending alone is not).',
  examples: ['npm run migration-status -- --db dev,staging,production'],
  flags: {
    db: { type: 'string', value: '<env|url,…>', description: 'the databases, comma-separated' },
    dir: { type: 'string', value: '<dir>', description: 'the migrations (default supabase/migrations)' },
    'connect-timeout': connectTimeoutFlag,
  },
  parse: (flags, env) =>
    readFlags({
      databases: () => databasesOf(flags.db, env),
      dir: () => (typeof flags.dir === 'string' ? flags.dir : 'supabase/migrations'),
      connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
    }),
  run: runMigrationStatus,
  render: renderMigrationStatusSummary,
  verdict: (r) => ({
    ok: r.needAttention.length === 0,
    headline: r.needAttention.length
      ? `${r.needAttention.join(', ')} need${r.needAttention.length === 1 ? 's' : ''} attention`
      : `${r.rows.length} migration(s): ${r.databases.map((d, i) => `${d.name === 'url' ? d.display : d.name} ${r.rows.filter((x) => x.states[i] === 'pending').length} pending`).join(', ')}`,
    problems: r.rows.flatMap((row) =>
      row.states.flatMap((s, i) =>
        FINE.includes(s)
          ? []
          : [
              `${row.version} ${row.name}: ${s} on ${r.databases[i]!.name === 'url' ? r.databases[i]!.display : r.databases[i]!.name}`,
            ],
      ),
    ),
    warnings: [],
  }),
  outputs: (r) => ({ versions: r.rows.length, need_attention: r.needAttention.join(',') }),
};
