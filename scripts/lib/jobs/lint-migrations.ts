// lint-migrations: every `<digits>_<name>.sql` migration read by PostgreSQL's own parser and held
// to rules on what destroys data, opens it to the API, breaks the deploy or the history (errors),
// and what locks or rewrites a busy table (warnings). Reads files (and git, with --base); changes nothing.

import { readFlags } from '../base/errors.ts';
import type { ParsedFlags } from '../base/flags.ts';
import { parseList } from '../cli/database-flags.ts';
import { lintMigrations } from '../migrations/lint.ts';
import { compareWithBase } from '../migrations/lint-base.ts';
import { readBaseSnapshot, readLintSources } from '../migrations/lint-sources.ts';
import { renderLintMigrationsSummary } from '../report/lint-migrations-summary.ts';
import type { LintFinding, LintMigrationsResult } from '../results/lint-migrations.ts';
import type { Job, JobContext, PlacedItem } from './runner.ts';

export interface LintMigrationsOptions {
  dir: string;
  /** A git ref: the branch this one is merged into. */
  base: string | null;
  apiSchemas: string[];
}

export async function runLintMigrations(
  ctx: JobContext,
  options: LintMigrationsOptions,
): Promise<LintMigrationsResult> {
  const started = ctx.now().getTime();
  const sources = readLintSources(options.dir);
  ctx.log.info(`lint ${sources.files.length} migration(s) in ${options.dir}`);
  const base = options.base
    ? compareWithBase(options.dir, sources.files, await readBaseSnapshot(options.dir, options.base))
    : null;
  const { files, findings, ignored } = await lintMigrations(sources, {
    apiSchemas: options.apiSchemas,
    base,
  });
  const errors = findings.filter((f) => f.severity === 'error').length;
  return {
    dir: options.dir,
    apiSchemas: options.apiSchemas,
    base: base && {
      ref: base.ref,
      commit: base.commit,
      latestVersion: base.latestVersion,
      files: base.files,
    },
    files,
    skipped: sources.skipped,
    findings,
    ignored,
    counts: {
      files: files.length,
      statements: files.reduce((n, f) => n + f.statements, 0),
      errors,
      warnings: findings.length - errors,
      ignored: ignored.length,
    },
    durationMs: ctx.now().getTime() - started,
  };
}

/** A finding as a verdict item: an annotation on its file and line in GitHub Actions. */
const placed = (f: LintFinding): PlacedItem => ({
  message: `${f.message}. Fix: ${f.fix}`,
  file: f.file,
  line: f.line,
  column: f.column,
  title: `lint-migrations: ${f.rule}`,
});

export const lintMigrationsJob: Job<LintMigrationsOptions, LintMigrationsResult> = {
  name: 'lint-migrations',
  description:
    'Lints every <digits>_<name>.sql migration with PostgreSQL’s own parser: destructive statements, tables ' +
    'the Data API serves without RLS, SECURITY DEFINER without search_path, write grants to anon, statements ' +
    'that cannot run in the migration’s transaction, and (with --base) versions out of order and edited ' +
    'applied files are errors; long locks and table rewrites are warnings. `-- envsync-lint-ignore <rule>` ' +
    'above a statement silences a rule there. Reads the files (and git, with --base); changes nothing.',
  examples: [
    'npm run lint-migrations',
    'npm run lint-migrations -- --dir supabase/migrations --base origin/main',
  ],
  flags: {
    dir: {
      type: 'string',
      value: '<dir>',
      description: 'the migrations directory (default supabase/migrations)',
    },
    base: {
      type: 'string',
      value: '<git ref>',
      description: 'the branch this one merges into: checks versions and applied files against it',
    },
    'api-schemas': {
      type: 'string',
      value: '<a,b>',
      description: 'schemas the Data API serves, where tables need RLS (default public)',
    },
  },
  parse(flags: ParsedFlags) {
    return readFlags({
      dir: () => (typeof flags.dir === 'string' && flags.dir.trim() ? flags.dir : 'supabase/migrations'),
      base: () => (typeof flags.base === 'string' ? flags.base : null),
      apiSchemas: () => parseList(flags['api-schemas']) ?? ['public'],
    });
  },
  run: runLintMigrations,
  render: renderLintMigrationsSummary,
  verdict: (r) => ({
    ok: r.counts.errors === 0,
    headline:
      `${r.counts.files} migration(s) linted: ${r.counts.errors} error(s), ${r.counts.warnings} warning(s)` +
      (r.counts.ignored ? `, ${r.counts.ignored} silenced inline` : ''),
    problems: r.findings.filter((f) => f.severity === 'error').map(placed),
    warnings: r.findings.filter((f) => f.severity === 'warning').map(placed),
  }),
  outputs: (r) => ({
    files: r.counts.files,
    errors: r.counts.errors,
    warnings: r.counts.warnings,
    ignored: r.counts.ignored,
  }),
};
