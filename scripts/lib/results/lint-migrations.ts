// lint-migrations.json: what PostgreSQL's own parser and the lint rules found in a directory of
// migrations. A contract other tools read (annotations, review bots): fields are only ever added.

export type LintSeverity = 'error' | 'warning';

/** Every rule's stable code; docs/lint-migrations.md has the table. */
export type LintRuleCode =
  | 'syntax-error'
  | 'bad-file-name'
  | 'duplicate-version'
  | 'version-not-after-base'
  | 'applied-file-changed'
  | 'drop-table'
  | 'drop-column'
  | 'drop-schema'
  | 'truncate'
  | 'delete-without-where'
  | 'update-without-where'
  | 'rename'
  | 'table-without-rls'
  | 'security-definer-search-path'
  | 'anon-write-grant'
  | 'non-transactional-mixed'
  | 'enum-value-used-in-same-file'
  | 'add-required-column'
  | 'index-not-concurrently'
  | 'constraint-not-valid'
  | 'set-not-null'
  | 'column-type-change'
  | 'volatile-default'
  | 'add-unique-or-pk';

export interface LintFinding {
  rule: LintRuleCode;
  severity: LintSeverity;
  /** The migration as a path from where the linter ran (`supabase/migrations/…_x.sql`): annotations point at it. */
  file: string;
  /** 1-based; the start of the statement (1 for a finding about the whole file). */
  line: number;
  /** 1-based, in characters. */
  column: number;
  /** One line: what the statement does and why that is a risk. */
  message: string;
  /** The safe way to get the same change. */
  fix: string;
}

export interface LintedFile {
  file: string;
  version: string;
  statements: number;
  /** At the base ref: unchanged, added on this branch, or changed (null without --base). */
  atBase: 'unchanged' | 'added' | 'changed' | null;
}

export interface LintMigrationsResult {
  /** The directory linted, as given. */
  dir: string;
  /** The schemas the Data API exposes, where every table needs RLS. */
  apiSchemas: string[];
  /** With --base: the ref, the commit it named, and its latest migration version. */
  base: { ref: string; commit: string; latestVersion: string | null; files: number } | null;
  files: LintedFile[];
  /** Entries of the directory that are not `<digits>_<name>.sql` and not `.sql` either (README, .gitkeep). */
  skipped: string[];
  /** In reading order: by file (version order), line, column. */
  findings: LintFinding[];
  /** Findings silenced by an `-- envsync-lint-ignore <rule>` comment: kept for review. */
  ignored: LintFinding[];
  counts: { files: number; statements: number; errors: number; warnings: number; ignored: number };
  durationMs: number;
}
