// analyze: the catalog inventory of one database, read from one read-only snapshot.

import { readFlags } from '../base/errors.ts';
import type { ParsedFlags } from '../base/flags.ts';
import { suggestContent } from '../catalog/content-suggestion.ts';
import { readInventory } from '../catalog/inventory.ts';
import { attentionItems, countObjects } from '../catalog/summary.ts';
import { connectTimeoutFlag, parseConnectTimeout, requireDatabase } from '../cli/database-flags.ts';
import { connect } from '../db/connect.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { proposeMasking } from '../masking/propose.ts';
import { renderAnalyzeSummary } from '../report/analyze-summary.ts';
import type { AnalyzeResult } from '../results/analyze.ts';
import type { Job, JobContext } from './runner.ts';

export interface AnalyzeOptions {
  db: DatabaseTarget;
  exactCounts: boolean;
  connectTimeout: number;
}

export async function runAnalyze(ctx: JobContext, options: AnalyzeOptions): Promise<AnalyzeResult> {
  const started = ctx.now().getTime();
  ctx.log.info(`analyze ${options.db.display}`);
  const sql = await connect(options.db, {
    applicationName: 'envsync analyze',
    connectTimeout: options.connectTimeout,
  });
  try {
    const inventory = await readInventory(sql, {
      exactCounts: options.exactCounts,
      onProgress: (m) => ctx.log.info(m),
    });
    const contentSuggestion = suggestContent(inventory);
    // A suggestion only: envsync.yaml is the team's to write.
    ctx.log.info(
      `content: ${contentSuggestion.content.length} candidate table(s), ${contentSuggestion.users.length} users' table(s) protected; ` +
        'a starting envsync.yaml is in summary.md under "Suggested content tables"',
    );
    const masking = proposeMasking(inventory);
    const maskedColumns = masking.rules.filter((r) => r.strategy !== 'keep').length;
    ctx.log.info(
      `masking: ${masking.personal.length} personal table(s), ${maskedColumns} column(s) to mask; ` +
        'a starting envsync.yaml masking section is in summary.md under "Suggested masking rules"',
    );
    return {
      target: { name: options.db.name, display: options.db.display },
      ...inventory,
      counts: countObjects(inventory),
      attention: attentionItems(inventory),
      contentSuggestion,
      masking,
      durationMs: ctx.now().getTime() - started,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export const analyzeJob: Job<AnalyzeOptions, AnalyzeResult> = {
  name: 'analyze',
  description:
    'Catalog inventory of one database: schemas, tables (PK, generated/identity columns, exact rows, size), ' +
    'FK load order and cycles, views, functions, triggers, RLS and policies, grants, sequences, extensions, enums. ' +
    'Read-only: runs in one READ ONLY transaction.',
  examples: [
    'npm run analyze -- --db dev',
    'npx tsx scripts/analyze.ts --db postgres://postgres@localhost:54322/postgres --out /tmp/a',
  ],
  flags: {
    db: {
      type: 'string',
      value: '<env|url>',
      description: 'database: dev, staging, production (→ <NAME>_DATABASE_URL) or a URL',
    },
    'estimate-only': {
      type: 'boolean',
      description: 'use planner estimates instead of exact row counts (fast on huge tables)',
    },
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags: ParsedFlags, env) {
    return {
      ...readFlags({
        db: () => requireDatabase(flags, 'db', env),
        connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
      }),
      exactCounts: flags['estimate-only'] !== true,
    };
  },
  run: runAnalyze,
  render: renderAnalyzeSummary,
  verdict: (r) => ({
    ok: true,
    headline: `${r.counts.app.tables} app tables, ${r.counts.app.rows.toLocaleString('en-US')} rows, ${r.cycles.length} FK cycle(s), ${r.attention.length} item(s) need attention`,
    problems: [],
    warnings: r.attention.filter((a) => a.kind !== 'unreadable-table').map((a) => a.message),
  }),
  outputs: (r) => ({
    tables: r.counts.app.tables,
    rows: r.counts.app.rows,
    size_bytes: r.counts.app.sizeBytes,
    cycles: r.cycles.length,
    attention: r.attention.length,
    server_version: r.database.serverVersion,
  }),
};
