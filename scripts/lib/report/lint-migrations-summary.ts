// The migration lint for people: the verdict, then the findings grouped by file — files with
// errors first, errors before warnings — capped to a screen; lint-migrations.json has them all.

import type { LintFinding, LintMigrationsResult } from '../results/lint-migrations.ts';
import { cell, code, counted, formatDuration, table } from './markdown.ts';

/** Finding rows shown at most; the rest are counted. */
export const SHOWN_FINDINGS = 40;

const mark = { error: '❌ error', warning: '⚠️ warning' } as const;

export function renderLintMigrationsSummary(r: LintMigrationsResult): string {
  const { counts } = r;
  const out: string[] = [`## envsync lint-migrations — ${code(r.dir)}`, ''];
  const verdict =
    counts.errors || counts.warnings
      ? `**${counted(counts.errors, 'error')}, ${counted(counts.warnings, 'warning')}**`
      : '**No errors, no warnings**';
  const base = r.base
    ? ` · against ${code(r.base.ref)} (${code(r.base.commit.slice(0, 12))}, latest version ${r.base.latestVersion ? code(r.base.latestVersion) : 'none'})`
    : '';
  out.push(
    `${verdict} in ${counted(counts.files, 'migration')} (${counted(counts.statements, 'statement')})${base} · ` +
      `linted in ${formatDuration(r.durationMs)}.`,
  );
  const notes = [
    counts.ignored
      ? `${counted(counts.ignored, 'finding')} silenced by \`envsync-lint-ignore\` comments`
      : '',
    r.skipped.length ? `not migrations, skipped: ${r.skipped.map(code).join(', ')}` : '',
  ].filter(Boolean);
  if (notes.length) out.push('', `${notes.join(' · ')}.`);
  out.push('');

  let shown = 0;
  for (const [file, findings] of byFile(r.findings)) {
    if (shown >= SHOWN_FINDINGS) break;
    const rows = findings.slice(0, SHOWN_FINDINGS - shown);
    shown += rows.length;
    const errors = findings.filter((f) => f.severity === 'error').length;
    out.push(
      `### ${code(file)} — ${[
        errors ? counted(errors, 'error') : '',
        findings.length - errors ? counted(findings.length - errors, 'warning') : '',
      ]
        .filter(Boolean)
        .join(', ')}`,
      '',
      table(
        ['Severity', 'Line', 'Rule', 'What and why', 'Safe alternative'],
        rows.map((f) => [
          mark[f.severity],
          `${f.line}:${f.column}`,
          code(f.rule),
          text(f.message),
          cell(f.fix),
        ]),
        ['l', 'r', 'l', 'l', 'l'],
      ),
      '',
    );
  }
  const hidden = r.findings.length - shown;
  if (hidden > 0)
    out.push(`… and ${counted(hidden, 'more finding')}: \`lint-migrations.json\` lists every one.`, '');
  return out.join('\n');
}

/** Findings by file: files with errors first (then in version order), errors before warnings, by line. */
function byFile(findings: LintFinding[]): [string, LintFinding[]][] {
  const files = new Map<string, LintFinding[]>();
  for (const f of findings) files.set(f.file, [...(files.get(f.file) ?? []), f]);
  const rank = (f: LintFinding) => (f.severity === 'error' ? 0 : 1);
  const grouped = [...files].map(
    ([file, list]) =>
      [file, [...list].sort((a, b) => rank(a) - rank(b) || a.line - b.line || a.column - b.column)] as [
        string,
        LintFinding[],
      ],
  );
  const hasErrors = (list: LintFinding[]) => (list.some((f) => f.severity === 'error') ? 0 : 1);
  // A stable sort keeps the result's version order within each group.
  return grouped.sort(([, a], [, b]) => hasErrors(a) - hasErrors(b));
}

/**
 * A message for a table cell: it may name anything (a table called `<x>`, PostgreSQL’s own error
 * text), so Markdown and HTML characters are escaped — outside the code spans the rules write.
 */
function text(message: string): string {
  const escaped = message
    .split(/(`+[^`]*?`+)/)
    .map((part, i) => (i % 2 ? part : part.replace(/([\\*<>[\]])/g, '\\$1')))
    .join('');
  return cell(escaped);
}
