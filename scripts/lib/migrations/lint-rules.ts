// The lint rules as data: each code's severity, what it catches, why, and the safe alternative.
// docs/lint-migrations.md shows this table; a test holds the two together.
//
// Severity: what destroys data, opens it to the API, or breaks the deploy or the migration
// history is an error (exit 1); what takes a long lock or rewrites a table is a warning.

import type { LintFinding, LintRuleCode, LintSeverity } from '../results/lint-migrations.ts';
import type { SourcePosition } from './parser.ts';

export interface LintRule {
  code: LintRuleCode;
  severity: LintSeverity;
  /** `file`: about the file or the history, never silenced inline; `statement`: about one statement. */
  scope: 'file' | 'statement';
  /** What it catches, in a few words. */
  catches: string;
  why: string;
  fix: string;
}

const rules: LintRule[] = [
  {
    code: 'syntax-error',
    severity: 'error',
    scope: 'file',
    catches: 'SQL that PostgreSQL’s parser refuses',
    why: 'the migration fails on every environment, and nothing after it applies',
    fix: 'correct the statement at the line and column given',
  },
  {
    code: 'bad-file-name',
    severity: 'error',
    scope: 'file',
    catches: 'a `.sql` file not named `<digits>_<name>.sql`',
    why: 'the Supabase CLI skips it without a word: it never runs anywhere',
    fix: 'rename it `<timestamp>_<name>.sql`, e.g. `20260101120000_add_rooms.sql`',
  },
  {
    code: 'duplicate-version',
    severity: 'error',
    scope: 'file',
    catches: 'two files with the same version',
    why: 'the history records one row per version: one of the two is never applied, or the push fails',
    fix: 'give the newer file a later version',
  },
  {
    code: 'version-not-after-base',
    severity: 'error',
    scope: 'file',
    catches: 'with `--base`: a migration added on this branch whose version is not after the base’s latest',
    why: 'environments that already applied the base’s latest see it as out of order: `db push` refuses it (or applies it out of order with `--include-all`)',
    fix: 'rename it with a version after the base’s latest (a fresh timestamp)',
  },
  {
    code: 'applied-file-changed',
    severity: 'error',
    scope: 'file',
    catches: 'with `--base`: a migration that exists at the base ref was edited, renamed or deleted',
    why: 'environments that applied it never run it again: they drift from a database built from the files, and `migrate` refuses the edited history',
    fix: 'restore the file as it is at the base and make the change in a new migration',
  },
  {
    code: 'drop-table',
    severity: 'error',
    scope: 'statement',
    catches: '`DROP TABLE` of a table that may hold rows',
    why: 'the rows are gone, and clients still reading the table fail',
    fix: 'stop using the table first; drop it in a later release after a backup, or rename it aside and drop it later',
  },
  {
    code: 'drop-column',
    severity: 'error',
    scope: 'statement',
    catches: '`ALTER TABLE … DROP COLUMN`',
    why: 'the column’s data is gone, and running clients that select it fail',
    fix: 'deploy code that no longer reads the column, then drop it in a later migration',
  },
  {
    code: 'drop-schema',
    severity: 'error',
    scope: 'statement',
    catches: '`DROP SCHEMA`',
    why: 'every table, function and policy in it goes (with CASCADE, silently)',
    fix: 'drop the objects one by one in a reviewed migration, or move them first',
  },
  {
    code: 'truncate',
    severity: 'error',
    scope: 'statement',
    catches: '`TRUNCATE` of a table that may hold rows',
    why: 'every row is gone, without triggers firing, under an ACCESS EXCLUSIVE lock',
    fix: 'delete what must go with a WHERE, in batches; keep data changes out of schema migrations',
  },
  {
    code: 'delete-without-where',
    severity: 'error',
    scope: 'statement',
    catches: '`DELETE` without `WHERE` on a table that may hold rows',
    why: 'every row of the table is deleted',
    fix: 'add the WHERE that names the rows to delete',
  },
  {
    code: 'update-without-where',
    severity: 'error',
    scope: 'statement',
    catches: '`UPDATE` without `WHERE` on a table that may hold rows',
    why: 'every row is overwritten, in one long transaction that locks them all',
    fix: 'add a WHERE (for a backfill `WHERE col IS NULL`), in batches for a large table',
  },
  {
    code: 'rename',
    severity: 'error',
    scope: 'statement',
    catches: 'renaming (or moving to another schema) a table, view, column or schema that may be in use',
    why: 'running clients still use the old name and fail until they are redeployed',
    fix: 'add the new name alongside (a new column kept in sync, or a view with the old name), switch clients, then remove the old one',
  },
  {
    code: 'table-without-rls',
    severity: 'error',
    scope: 'statement',
    catches:
      'a table in an API-exposed schema without `ENABLE ROW LEVEL SECURITY` (in the same file or earlier), or RLS disabled there',
    why: 'the Data API serves it to `anon` and `authenticated`: every row readable and writable by anyone with the anon key',
    fix: '`ALTER TABLE … ENABLE ROW LEVEL SECURITY` and add policies, or `REVOKE ALL … FROM anon, authenticated`',
  },
  {
    code: 'security-definer-search-path',
    severity: 'error',
    scope: 'statement',
    catches: 'a `SECURITY DEFINER` function without `SET search_path`',
    why: 'it runs with its owner’s rights and the caller’s search_path: a caller’s object can shadow the ones it uses',
    fix: "add `SET search_path = ''` and qualify every name in the body (`public.t`)",
  },
  {
    code: 'anon-write-grant',
    severity: 'error',
    scope: 'statement',
    catches: '`INSERT`, `UPDATE`, `DELETE`, `TRUNCATE` or `ALL` on tables granted to `anon` (or `PUBLIC`)',
    why: 'anyone with the public anon key may write, bounded only by RLS policies (and TRUNCATE by nothing)',
    fix: 'grant writes to `authenticated` with RLS policies; grant `anon` only SELECT, or write through a checked function',
  },
  {
    code: 'non-transactional-mixed',
    severity: 'error',
    scope: 'statement',
    catches:
      '`CREATE INDEX CONCURRENTLY`, `VACUUM`, `ALTER SYSTEM`, `CREATE DATABASE`, `BEGIN`/`COMMIT` … in a file with other statements',
    why: 'a migration file runs as one transaction, and these refuse to run inside one: the migration fails',
    fix: 'put the statement in a migration file of its own',
  },
  {
    code: 'enum-value-used-in-same-file',
    severity: 'error',
    scope: 'statement',
    catches: '`ALTER TYPE … ADD VALUE` and then the new value used in the same file',
    why: 'a new enum value cannot be used before the transaction that added it commits: the migration fails',
    fix: 'add the value in one migration and use it in a later one',
  },
  {
    code: 'add-required-column',
    severity: 'error',
    scope: 'statement',
    catches: '`ADD COLUMN … NOT NULL` without a default on a table that may hold rows',
    why: 'existing rows would be null in it: the migration fails on any non-empty table',
    fix: 'add it with a DEFAULT, or nullable, backfill, then SET NOT NULL (see `set-not-null`)',
  },
  {
    code: 'index-not-concurrently',
    severity: 'warning',
    scope: 'statement',
    catches: '`CREATE INDEX` without `CONCURRENTLY` on a table that may hold rows',
    why: 'writes to the table wait (SHARE lock) until the whole index is built',
    fix: '`CREATE INDEX CONCURRENTLY`, alone in its migration file',
  },
  {
    code: 'constraint-not-valid',
    severity: 'warning',
    scope: 'statement',
    catches:
      'a FOREIGN KEY or CHECK added without `NOT VALID` on a table that may hold rows (or validated in the same file)',
    why: 'every row is checked while the table is locked against writes (the referenced table too, for a foreign key)',
    fix: 'add it `NOT VALID`, then `VALIDATE CONSTRAINT` in a later migration (it takes a lighter lock)',
  },
  {
    code: 'set-not-null',
    severity: 'warning',
    scope: 'statement',
    catches: '`ALTER COLUMN … SET NOT NULL` on a table that may hold rows',
    why: 'the whole table is scanned under an ACCESS EXCLUSIVE lock: reads and writes wait',
    fix: 'add `CHECK (col IS NOT NULL) NOT VALID`, validate it in a later migration, then SET NOT NULL (it uses the check) and drop the check',
  },
  {
    code: 'column-type-change',
    severity: 'warning',
    scope: 'statement',
    catches: '`ALTER COLUMN … TYPE` on a table that may hold rows',
    why: 'unless the types are binary-compatible (varchar(n) → text), the table and its indexes are rewritten under an ACCESS EXCLUSIVE lock; clients may break on the new type',
    fix: 'add a column of the new type, backfill in batches, switch clients, then drop the old column',
  },
  {
    code: 'volatile-default',
    severity: 'warning',
    scope: 'statement',
    catches:
      '`ADD COLUMN` with a volatile default (`gen_random_uuid()`, `random()`, serial, identity) on a table that may hold rows',
    why: 'each existing row gets its own value: the table is rewritten under an ACCESS EXCLUSIVE lock',
    fix: 'add the column without a default (or a constant one), set the default, backfill in batches',
  },
  {
    code: 'add-unique-or-pk',
    severity: 'warning',
    scope: 'statement',
    catches: 'a UNIQUE or PRIMARY KEY constraint added to a table that may hold rows, building its index',
    why: 'the index is built while reads and writes wait (ACCESS EXCLUSIVE)',
    fix: '`CREATE UNIQUE INDEX CONCURRENTLY` in its own migration, then `ADD CONSTRAINT … UNIQUE USING INDEX` (or `PRIMARY KEY USING INDEX`)',
  },
];

export const LINT_RULES: ReadonlyMap<LintRuleCode, LintRule> = new Map(rules.map((r) => [r.code, r]));

export const ruleOf = (code: LintRuleCode): LintRule => LINT_RULES.get(code)!;

/** A finding of `rule` at `position` of `file`: its severity and fix from the rule. */
export function finding(
  rule: LintRuleCode,
  file: string,
  position: Pick<SourcePosition, 'line' | 'column'>,
  message: string,
): LintFinding {
  const { severity, fix } = ruleOf(rule);
  return { rule, severity, file, line: position.line, column: position.column, message, fix };
}
