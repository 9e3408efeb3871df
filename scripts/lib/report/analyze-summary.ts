// The analyze result for people: totals, then the tables in load order, then what
// needs attention, then a starting envsync.yaml (content tables, masking rules). Pure: result in,
// Markdown out (golden-file tested).

import { DESCRIBED_KINDS } from '../catalog/model.ts';
import type {
  AnalyzeResult,
  ContentSuggestion,
  MaskingProposal,
  SuggestedContentTable,
} from '../results/analyze.ts';
import { cell, code, database, formatBytes, formatCount, formatDuration, table } from './markdown.ts';

export function renderAnalyzeSummary(r: AnalyzeResult): string {
  const { app, platform } = r.counts;
  const out: string[] = [];
  const su = r.database.isSuperuser ? 'superuser' : 'not superuser';
  out.push(`## envsync analyze — ${database(r.target)}`);
  out.push('');
  out.push(
    `PostgreSQL ${r.database.serverVersion} · database ${code(r.database.name)} owned by ${code(r.database.owner)} · ` +
      `read as ${code(r.database.currentUser)} (${su}) · ${formatBytes(r.database.sizeBytes)} on disk · analyzed in ${formatDuration(r.durationMs)}`,
  );
  out.push('');
  const row = (label: string, a: string | number, p: string | number) => [label, String(a), String(p)];
  out.push(
    table(
      ['', 'App', 'Platform'],
      [
        row('Schemas', app.schemas, platform.schemas),
        row('Tables', app.tables, platform.tables),
        r.exactCounts
          ? row('Rows (exact)', formatCount(app.rows), formatCount(platform.rows))
          : row('Rows (planner estimate)', `≈${formatCount(app.rows)}`, `≈${formatCount(platform.rows)}`),
        row('Table size', formatBytes(app.sizeBytes), formatBytes(platform.sizeBytes)),
        row('Views / matviews', `${app.views} / ${app.matviews}`, `${platform.views} / ${platform.matviews}`),
        row('Functions', app.functions, platform.functions),
        row('Triggers', app.triggers, platform.triggers),
        row('RLS policies', app.policies, platform.policies),
        row('Sequences', app.sequences, platform.sequences),
        row('Enums', app.enums, platform.enums),
        row('Grants', app.grants, platform.grants),
      ],
      ['l', 'r', 'r'],
    ),
  );
  out.push('');
  const ext = r.extensions.map((e) => `${e.name} ${e.version} (${e.schema})`).join(', ') || 'none';
  out.push(`Extensions: ${ext}. Event triggers: ${r.eventTriggers.map((e) => e.name).join(', ') || 'none'}.`);
  out.push(`Default privileges: ${r.counts.defaultPrivileges} entries.`);
  const other = new Map<string, number>();
  for (const o of r.objects) {
    if (!DESCRIBED_KINDS.has(o.kind) && !r.schemas.find((s) => s.name === o.schema)?.platform)
      other.set(o.kind, (other.get(o.kind) ?? 0) + 1);
  }
  if (other.size) {
    out.push(
      `Other objects in the app schemas: ${[...other].map(([kind, n]) => `${n} ${kind}${n === 1 ? '' : '(s)'}`).join(', ')}.`,
    );
  }
  out.push('');

  const levelOf = new Map<string, number>();
  r.loadOrder.forEach((tables, level) => {
    for (const t of tables) levelOf.set(t, level);
  });
  const inCycle = new Set(r.cycles.flatMap((c) => c.tables));
  // Partitions right under their parent (indented by depth), the rest in load order.
  const partitionsOf = new Map<string, typeof r.tables>();
  for (const t of r.tables) {
    if (t.partitionOf) partitionsOf.set(t.partitionOf, [...(partitionsOf.get(t.partitionOf) ?? []), t]);
  }
  const withPartitions = (t: (typeof r.tables)[number], depth: number): { t: typeof t; depth: number }[] => [
    { t, depth },
    ...(partitionsOf.get(`${t.schema}.${t.name}`) ?? [])
      .sort((a, b) => `${a.schema}.${a.name}`.localeCompare(`${b.schema}.${b.name}`))
      .flatMap((p) => withPartitions(p, depth + 1)),
  ];
  const tableRows = (platformSide: boolean) =>
    r.tables
      .filter((t) => t.platform === platformSide && !t.partitionOf)
      .map((t) => ({ t, q: `${t.schema}.${t.name}`, level: levelOf.get(`${t.schema}.${t.name}`) ?? 0 }))
      .sort((a, b) => a.level - b.level || a.q.localeCompare(b.q))
      .flatMap(({ t }) => withPartitions(t, 0))
      .map(({ t, depth }) => ({
        t,
        depth,
        q: `${t.schema}.${t.name}`,
        level: levelOf.get(`${t.schema}.${t.name}`) ?? 0,
      }))
      .map(({ t, q, level, depth }) => [
        `${level}${inCycle.has(q) ? ' ↻' : ''}`,
        `${depth ? `${'↳'.padStart(depth, '\u00a0')} ` : ''}${code(q)}${t.partitionBound ? ` ${cell(t.partitionBound)}` : ''}${t.partitionKey ? ` — partitioned by ${cell(t.partitionKey)}` : ''}`,
        t.primaryKey.length ? cell(t.primaryKey.join(', ')) : '**none**',
        t.kind === 'partitioned'
          ? `(${r.exactCounts ? formatCount(t.rowCount) : `≈${formatCount(t.estimatedRows)}`} in partitions)`
          : r.exactCounts
            ? formatCount(t.rowCount)
            : `≈${formatCount(t.estimatedRows)}`,
        formatBytes(t.sizeBytes),
        t.rlsEnabled ? (t.rlsForced ? 'on (forced)' : 'on') : 'off',
        cell(t.generatedColumns.join(', ')),
        cell(t.identityColumns.join(', ')),
      ]);
  const headers = ['Load level', 'Table', 'Primary key', 'Rows', 'Size', 'RLS', 'Generated', 'Identity'];
  const align: ('l' | 'r')[] = ['r', 'l', 'l', 'r', 'r', 'l', 'l', 'l'];
  out.push(`### App tables (${app.tables}), in load order`);
  out.push('');
  out.push(app.tables ? table(headers, tableRows(false), align) : '_No app tables._');
  out.push('');
  out.push(`### Platform tables (${platform.tables})`);
  out.push('');
  out.push(platform.tables ? table(headers, tableRows(true), align) : '_No platform tables._');
  out.push('');
  if (inCycle.size) out.push('↻ = part of an FK cycle.', '');

  out.push(`### Needs attention (${r.attention.length})`);
  out.push('');
  if (r.attention.length === 0)
    out.push('Nothing: no FK cycles, every table has a primary key, RLS is consistent.');
  for (const a of r.attention) out.push(`- **${a.kind}** — ${cell(a.message)}`);
  out.push('');
  if (app.tables) out.push(...contentSection(r.contentSuggestion));
  out.push(...maskingSection(r.masking));
  return out.join('\n');
}

/** At most this many tables in the snippet and in the protected list: the section fits a screen. */
const SHOWN_CANDIDATES = 25;
const SHOWN_PROTECTED = 20;
const SHOWN_REFERENCES = 3;
/** At most this many lines of masking rules, cut where a table's rules end. */
const SHOWN_MASKING_LINES = 80;

/** A `schema.table` as a YAML key: plain when it is a simple name, else double-quoted. */
const yamlName = (name: string): string =>
  /^[A-Za-z_][\w$]*\.[A-Za-z_][\w$]*$/.test(name) ? name : JSON.stringify(name);

function candidateLine(t: SuggestedContentTable): string {
  if (!t.key)
    return `    # ${yamlName(t.table)}: { key: [<column>] }  # no primary key: name the columns that identify a row`;
  const refs = t.referencedBy.slice(0, SHOWN_REFERENCES).map((f) => `${yamlName(f.table)} (${f.onDelete})`);
  const more = t.referencedBy.length - refs.length;
  return `    ${yamlName(t.table)}: {}${refs.length ? `  # ← ${refs.join(', ')}${more ? `, +${more}` : ''}` : ''}`;
}

/**
 * The suggestion as a ready-to-paste `content.tables` (tables users' rows point at first, then the
 * rest), then the users' tables it leaves protected. Tables without a key are commented out.
 */
function contentSection(s: ContentSuggestion): string[] {
  const out = [`### Suggested content tables (envsync.yaml)`, ''];
  out.push(
    'A starting point read from the foreign keys; analyze never writes `envsync.yaml`. ' +
      'Content sync writes only the tables under `content.tables`; every other table is protected.',
  );
  out.push('');
  if (s.content.length === 0) {
    out.push(
      "_No content candidates: every app table references `auth.users`, directly or through another users' table._",
      '',
    );
  } else {
    // Those users' rows point at are the likeliest content: they go first, and survive the cap.
    const ordered = [
      ...s.content.filter((t) => t.referencedBy.length),
      ...s.content.filter((t) => !t.referencedBy.length),
    ];
    const shown = ordered.slice(0, SHOWN_CANDIDATES);
    const pointedAt = shown.filter((t) => t.referencedBy.length);
    const rest = shown.filter((t) => !t.referencedBy.length);
    const lines = [
      'content:',
      '  tables:',
      '    # delete: keep (the default) on each: rows only the target has stay',
    ];
    if (pointedAt.length) lines.push("    # users' tables point at these", ...pointedAt.map(candidateLine));
    if (rest.length)
      lines.push(
        "    # no users' table points at these: keep what your team authors, drop what production writes (logs, history)",
        ...rest.map(candidateLine),
      );
    if (s.content.length > shown.length)
      lines.push(
        `    # … ${s.content.length - shown.length} more in analyze.json (contentSuggestion.content)`,
      );
    out.push(...fenced(lines, 'yaml'), '');
    if (s.content.some((t) => t.referencedBy.some((f) => f.onDelete === 'cascade')))
      out.push(
        "`(cascade)`: deleting a row of that table deletes the users' rows that point at it; keep `delete: keep` there.",
        '',
      );
  }
  const names = s.users.slice(0, SHOWN_PROTECTED).map(code);
  const more = s.users.length - names.length;
  out.push(
    s.users.length
      ? `Protected, users' tables (${s.users.length}) — each references \`auth.users\` directly or through another users' table: ${names.join(', ')}${more ? `, and ${more} more` : ''}.`
      : "Protected, users' tables: none — no app table references `auth.users`.",
  );
  out.push('');
  return out;
}

/** A fence longer than any run of backticks in `lines`. */
function fenced(lines: string[], info: string): string[] {
  const longest = Math.max(0, ...(lines.join('\n').match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${info}`, ...lines, fence];
}

/**
 * The proposed `masking` section, ready to paste. A long one is cut where a table's rules end:
 * its personal list stays whole, so the tables cut off fail closed if pasted as shown.
 */
function maskingSection(m: MaskingProposal): string[] {
  const out = ['### Suggested masking rules (envsync.yaml)', ''];
  out.push(
    'A starting point read from column names and types; analyze never writes `envsync.yaml`. ' +
      'A copy masks every column a rule names, and stops at a column of a `masking.personal` table without one; ' +
      'the columns kept are listed by name — review those keeps, and look for what names do not show ' +
      '(free text, documents, JSON).',
  );
  out.push('');
  if (m.personal.length === 0) {
    out.push(
      '_No column of the tables a sync copies is named like personal data (email, phone, name, address, IP, ' +
        'birth date, identity document, secret). Names do not show free text, documents or JSON: check those by hand._',
      '',
    );
    return out;
  }
  let lines = m.yaml.trimEnd().split('\n');
  const starts = lines.flatMap((line, i) =>
    m.personal.includes(line.replace(/^ {4}# /, '')) && line.startsWith('    # ') ? [i] : [],
  );
  const firstRule = starts[0] ?? lines.length;
  if (lines.length - firstRule > SHOWN_MASKING_LINES) {
    const cut =
      starts.filter((i) => i > firstRule && i - firstRule <= SHOWN_MASKING_LINES).pop() ?? starts[1];
    if (cut !== undefined) {
      const more = starts.filter((i) => i >= cut).length;
      lines = [
        ...lines.slice(0, cut),
        `    # … rules for ${more} more table(s) in analyze.json (masking.yaml); pasted as shown, those tables fail closed`,
      ];
    }
  }
  out.push(...fenced(lines, 'yaml'), '');
  const skipped = m.skipped.length;
  if (skipped)
    out.push(
      `${skipped} column(s) named like personal data are not masked (generated, references to data that is not ` +
        'masked, or a type no strategy fits): the comments in the snippet say why.',
      '',
    );
  return out;
}
