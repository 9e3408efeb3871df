// mark-production: writes envsync's production marker into a database (a small `envsync`
// schema, readable by every role), so every job that writes refuses it without
// --allow-production however its URL is spelled — also where PRODUCTION_DATABASE_URL is
// not set, as in the staging jobs on GitHub Actions. Idempotent.

import { JobError, readFlags } from '../base/errors.ts';
import { connectTimeoutFlag, parseConnectTimeout, requireDatabase } from '../cli/database-flags.ts';
import { connect } from '../db/connect.ts';
import { writeProductionMarker } from '../db/guards.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { renderMarkProductionSummary } from '../report/mark-production-summary.ts';
import type { MarkProductionResult } from '../results/mark-production.ts';
import type { Job, JobContext } from './runner.ts';

export interface MarkProductionOptions {
  db: DatabaseTarget;
  connectTimeout: number;
}

export async function runMarkProduction(
  ctx: JobContext,
  o: MarkProductionOptions,
): Promise<MarkProductionResult> {
  const sql = await connect(o.db, {
    applicationName: 'envsync mark-production',
    connectTimeout: o.connectTimeout,
  });
  try {
    const { marker, already } = await writeProductionMarker(sql).catch((error) => {
      const e = error as { code?: string; message?: string };
      throw new JobError(
        `${o.db.display} could not be marked: ${e.message ?? String(error)}${e.code ? ` (SQLSTATE ${e.code})` : ''}`,
        'connect as the database owner (on Supabase: postgres), which may create a schema',
      );
    });
    ctx.log.info(
      already
        ? `${o.db.display} was already marked as production (${marker.markedAt} by ${marker.markedBy})`
        : `${o.db.display} is now marked as production`,
    );
    return { target: { name: o.db.name, display: o.db.display }, marker, already };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export const markProductionJob: Job<MarkProductionOptions, MarkProductionResult> = {
  name: 'mark-production',
  description:
    'Marks a database as production, inside the database (schema envsync, table environment, readable by every ' +
    'role): every envsync job that writes — sync, rollback, seed, backup --verify-restore and the rest — then ' +
    'refuses it without --allow-production, whatever host, port or pooler its URL names. Idempotent.',
  examples: ['npm run mark-production -- --db production'],
  flags: {
    db: { type: 'string', value: '<env|url>', description: 'the production database' },
    'connect-timeout': connectTimeoutFlag,
  },
  parse: (flags, env) =>
    readFlags({
      db: () => requireDatabase(flags, 'db', env),
      connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
    }),
  run: runMarkProduction,
  render: renderMarkProductionSummary,
  verdict: (r) => ({
    ok: true,
    headline: `${r.target.display} is marked as production${r.already ? ' (already was)' : ''}`,
    problems: [],
    warnings: [],
  }),
  outputs: (r) => ({ marked: true, already: r.already }),
};
