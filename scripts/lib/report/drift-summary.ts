// The drift for people: is the environment what its migrations make (or what the other
// environment is)? The verdict, what differs grouped by object, then what plpgsql_check found in
// the function bodies; each table capped to a screen, the rest in drift.json.

import type { DriftResult, DriftSide, FunctionCheck, FunctionProblem } from '../results/drift.ts';
import { cell, code, counted, formatCount, formatDuration, route, table } from './markdown.ts';
import { groupObjectChanges, objectChangesHeadline, objectChangesTable } from './object-changes.ts';

/** Rows per table: one screen. */
const MAX_ROWS = 30;

/** `staging`, or a database given by URL as its address. */
const named = (side: DriftSide) => (side.name === 'url' ? code(side.display) : side.name);

/** What the environment is held against: `what its 4 migrations make`, or `staging`. */
function expectation(r: DriftResult): string {
  return r.mode === 'migrations'
    ? `what its ${counted(r.replay?.files.length ?? 0, 'migration')} make${r.replay?.files.length === 1 ? 's' : ''}`
    : named(r.expected);
}

function verdict(r: DriftResult, objects: number): string {
  const actual = named(r.actual);
  const schemaOnly = r.mode === 'environments' ? ' (schema only)' : '';
  return r.drifted
    ? `**Drifted:** ${counted(objects, 'object')} of ${actual} differ${objects === 1 ? 's' : ''} from ${expectation(r)}${schemaOnly}.`
    : `**No drift.** ${actual} is ${expectation(r)}${schemaOnly}: ${formatCount(r.objectsCompared.actual)} objects compared through the catalog model.`;
}

/** What `missing`, `extra` and `differs` mean here, in the environments' names. */
function legend(r: DriftResult): string {
  const [actual, expected] = [
    named(r.actual),
    r.mode === 'migrations' ? 'the migrations' : named(r.expected),
  ];
  const make = r.mode === 'migrations' ? 'make' : 'has';
  const not = r.mode === 'migrations' ? 'do not' : 'does not';
  return `*missing*: ${expected} ${make} it, ${actual} lacks it · *extra*: ${actual} has it, ${expected} ${not} · *differs*: as found on ${actual}, expected in brackets`;
}

function timings(r: DriftResult): string {
  const t = r.timings;
  const parts: string[] = [];
  if (r.mode === 'migrations') {
    const replay = (t.clusterMs ?? 0) + (t.migrationsMs ?? 0);
    parts.push(
      `Replay ${formatDuration(replay)} (throwaway cluster ${formatDuration(t.clusterMs ?? 0)}, ${counted(r.replay?.files.length ?? 0, 'migration')} ${formatDuration(t.migrationsMs ?? 0)})`,
      `catalogs: migrations ${formatDuration(t.expectedCatalogMs)}, ${named(r.actual)} ${formatDuration(t.actualCatalogMs)} (read during the replay)`,
    );
    if (t.functionCheckMs !== null && r.functionCheck?.available)
      parts.push(`plpgsql_check ${formatDuration(t.functionCheckMs)}`);
  } else {
    parts.push(
      `Catalogs read in parallel: ${named(r.expected)} ${formatDuration(t.expectedCatalogMs)}, ${named(r.actual)} ${formatDuration(t.actualCatalogMs)}`,
    );
  }
  parts.push(`total ${formatDuration(t.totalMs)}`);
  return parts.join(' · ');
}

const functionName = (p: { function: string; relation?: string | null }) =>
  `${code(p.function)}${p.relation ? ` on ${code(p.relation)}` : ''}`;

/** plpgsql_check gives its own warnings SQLSTATE 00000 (successful completion): not worth showing. */
const hasCode = (p: FunctionProblem) => p.sqlstate !== null && p.sqlstate !== '00000';

function problemText(p: FunctionProblem): string {
  return `${cell(p.message)}${hasCode(p) ? ` (${code(p.sqlstate!)})` : ''}${p.hint ? ` — ${cell(p.hint)}` : ''}`;
}

function functionSection(check: FunctionCheck, serverVersion: string): string[] {
  if (!check.available) {
    const major = Number.parseInt(serverVersion, 10);
    return [
      '### Function bodies',
      '',
      `${check.note}. Install ${code(major ? `postgresql-${major}-plpgsql-check` : 'plpgsql_check')} where drift runs to check them.`,
      '',
    ];
  }
  const out = [`### Function bodies (plpgsql_check ${check.version})`, ''];
  const errors = check.problems.filter((p) => p.level === 'error');
  const others = check.problems.filter((p) => p.level !== 'error');
  const perTable =
    check.checks > check.functions
      ? ` (${counted(check.checks, 'check')}: a trigger function once per table it fires on)`
      : '';
  const bodies = `${counted(check.functions, 'plpgsql function')}${perTable}`;
  if (!check.problems.length) out.push(`No problems in the bodies of ${bodies}.`, '');
  else {
    out.push(
      `${errors.length ? `**${counted(errors.length, 'error')}**` : 'No errors'}, ${counted(others.length, 'warning')} in the bodies of ${bodies}.`,
      '',
      table(
        ['Function', 'Line', 'Level', 'Problem'],
        [...errors, ...others]
          .slice(0, MAX_ROWS)
          .map((p) => [functionName(p), p.line === null ? '' : String(p.line), p.level, problemText(p)]),
        ['l', 'r', 'l', 'l'],
      ),
      ...(check.problems.length > MAX_ROWS
        ? ['', `… and ${formatCount(check.problems.length - MAX_ROWS)} more (see drift.json).`]
        : []),
      '',
    );
  }
  if (check.unchecked.length)
    out.push(
      `Not checked: ${check.unchecked.map((u) => `${code(u.function)} (${cell(u.reason)})`).join('; ')}.`,
      '',
    );
  return out;
}

export function renderDriftSummary(r: DriftResult): string {
  const where = route(r.actual, r.expected, 'vs');
  const groups = groupObjectChanges(r.differences);
  const out = [`## envsync drift — ${where.heading}`, ''];
  if (where.displays) out.push(where.displays, '');
  out.push(verdict(r, groups.length), '', timings(r), '');
  const [replayed, found] = [r.serverVersions.expected, r.serverVersions.actual].map((v) =>
    Number.parseInt(v, 10),
  );
  if (r.mode === 'migrations' && r.drifted && replayed !== found)
    out.push(
      `> Replayed on PostgreSQL ${replayed}; ${named(r.actual)} runs ${found}. Some differences may be the version's alone (printed definitions, PostgreSQL 17's \`MAINTAIN\` privilege): replay on the same major to be sure.`,
      '',
    );
  if (groups.length) {
    out.push(
      '### Objects',
      '',
      `${objectChangesHeadline(groups, 'drift')}.`,
      '',
      legend(r),
      '',
      objectChangesTable(r.differences, { wording: 'drift', json: 'drift.json', max: MAX_ROWS }),
      '',
    );
  }
  if (r.functionCheck) out.push(...functionSection(r.functionCheck, r.serverVersions.expected));
  if (r.replay?.skipped.length)
    out.push(
      `Skipped in ${code(r.replay.dir)} (not \`<version>_<name>.sql\`): ${r.replay.skipped.map(code).join(', ')}`,
      '',
    );
  return out.join('\n');
}
