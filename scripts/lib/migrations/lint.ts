// Lints a directory's migrations in version order with PostgreSQL's own parser: the file rules,
// then each statement against every statement rule (knowing what the files before it created),
// then each file's tables against table-without-rls; inline ignores silence statement findings.

import type { LintedFile, LintFinding } from '../results/lint-migrations.ts';
import type { BaseComparison } from './lint-base.ts';
import { STATEMENT_CHECKS, type StatementContext } from './lint-checks.ts';
import { finding, ruleOf } from './lint-rules.ts';
import type { LintSource, LintSources } from './lint-sources.ts';
import { API_ROLES, SchemaState } from './lint-state.ts';
import { schemaOf } from './parse-nodes.ts';
import { type ParsedStatement, parseStatements, SqlSyntaxError } from './parser.ts';

export interface LintOptions {
  /** Schemas the Data API serves (Supabase's `[api] schemas`): `public` by default. */
  apiSchemas: string[];
  /** With --base: which files were added on this branch, and the history findings. */
  base: BaseComparison | null;
}

export interface LintOutcome {
  files: LintedFile[];
  findings: LintFinding[];
  ignored: LintFinding[];
}

export async function lintMigrations(sources: LintSources, options: LintOptions): Promise<LintOutcome> {
  const findings: LintFinding[] = [
    ...sources.misnamed.map((file) =>
      finding(
        'bad-file-name',
        file,
        START,
        `${file.slice(file.lastIndexOf('/') + 1)} is not named <digits>_<name>.sql: the Supabase CLI skips it`,
      ),
    ),
    ...duplicateVersions(sources.files),
    ...(options.base?.findings ?? []),
  ];
  const ignored: LintFinding[] = [];
  const files: LintedFile[] = [];
  const state = new SchemaState();
  // Without --base every earlier file may already be applied; with it, those added here are not.
  const pending = (index: number) => options.base?.atBase.get(sources.files[index]!.path) === 'added';

  for (const [index, source] of sources.files.entries()) {
    const atBase = options.base?.atBase.get(source.path) ?? null;
    let statements: ParsedStatement[];
    try {
      statements = await parseStatements(source.text);
    } catch (error) {
      if (!(error instanceof SqlSyntaxError)) throw error;
      findings.push(finding('syntax-error', source.path, error.position, error.message));
      files.push({ file: source.path, version: source.version, statements: 0, atBase });
      continue;
    }
    const silenced = ignoresOf(source.text);
    const report = (f: LintFinding) => (silenced(f) ? ignored : findings).push(f);
    const isNew = (createdIn: number | undefined) =>
      createdIn !== undefined && (createdIn === index || pending(createdIn));
    for (const [i, statement] of statements.entries()) {
      const ctx: StatementContext = {
        statement,
        fileStatements: statements,
        index: i,
        isNewTable: (name) => isNew(state.tables.get(name)?.file),
        isNewSchema: (name) => isNew(state.schemas.get(name)),
      };
      for (const [rule, check] of Object.entries(STATEMENT_CHECKS)) {
        for (const what of check!(ctx))
          report(statementFinding(rule as LintFinding['rule'], source, statement, what));
      }
      state.apply(statement, index);
    }
    for (const f of tablesWithoutRls(state, index, source, options.apiSchemas)) report(f);
    files.push({ file: source.path, version: source.version, statements: statements.length, atBase });
  }

  const order = new Map(sources.files.map((f, i) => [f.path, i]));
  const byPlace = (a: LintFinding, b: LintFinding) =>
    (order.get(a.file) ?? -1) - (order.get(b.file) ?? -1) ||
    a.file.localeCompare(b.file) ||
    a.line - b.line ||
    a.column - b.column ||
    a.rule.localeCompare(b.rule);
  return { files, findings: findings.sort(byPlace), ignored: ignored.sort(byPlace) };
}

const START = { line: 1, column: 1 };

function statementFinding(
  rule: LintFinding['rule'],
  source: LintSource,
  statement: ParsedStatement,
  what: string,
): LintFinding {
  return finding(rule, source.path, statement.start, `${what} — ${ruleOf(rule).why}`);
}

function duplicateVersions(files: LintSource[]): LintFinding[] {
  return files.flatMap((f) => {
    const first = files.find((other) => other.version === f.version)!;
    return first !== f
      ? [
          finding(
            'duplicate-version',
            f.path,
            START,
            `${f.name} has version ${f.version}, as ${first.name} does`,
          ),
        ]
      : [];
  });
}

/**
 * Tables that end this file reachable by the API roles without RLS: created here (reported at
 * the CREATE TABLE) or with RLS disabled here (at the DISABLE).
 */
function tablesWithoutRls(
  state: SchemaState,
  file: number,
  source: LintSource,
  apiSchemas: string[],
): LintFinding[] {
  const out: LintFinding[] = [];
  for (const [name, t] of state.tables) {
    if (t.kind !== 'table' || t.rls || t.apiRoles.size === 0 || !apiSchemas.includes(schemaOf(name)))
      continue;
    const roles = API_ROLES.filter((r) => t.apiRoles.has(r)).join(', ');
    const rule = ruleOf('table-without-rls');
    if (t.disabled?.file === file) {
      out.push(
        finding(
          rule.code,
          source.path,
          t.disabled.at,
          `disables row level security on ${name} (reachable by ${roles}) — ${rule.why}`,
        ),
      );
    } else if (t.file === file) {
      out.push(
        finding(
          rule.code,
          source.path,
          t.at,
          `creates ${name} in API schema ${schemaOf(name)} without enabling row level security (reachable by ${roles}) — ${rule.why}`,
        ),
      );
    }
  }
  return out;
}

const IGNORE = /--\s*envsync-lint-ignore\b(.*)$/;

/**
 * Which statement findings a file silences: `-- envsync-lint-ignore <rule>[, <rule>…]` on the
 * statement's first line or in the run of comment lines right above it. File rules (syntax,
 * names, versions, history) cannot be silenced.
 */
function ignoresOf(text: string): (f: LintFinding) => boolean {
  const lines = text.split('\n');
  const rulesOn = (line: number): string[] => {
    const m = IGNORE.exec(lines[line - 1] ?? '');
    return m ? (m[1]!.match(/[a-z][a-z-]*/g) ?? []) : [];
  };
  return (f) => {
    if (ruleOf(f.rule).scope === 'file') return false;
    if (rulesOn(f.line).includes(f.rule)) return true;
    for (let line = f.line - 1; line >= 1 && /^\s*--/.test(lines[line - 1]!); line--) {
      if (rulesOn(line).includes(f.rule)) return true;
    }
    return false;
  };
}
