// The validation for people: the verdict, then every difference, objects first (grouped by
// the object they belong to), each table capped to a screen; the rest is in validate.json.

import type { ValidateResult } from '../results/validate.ts';
import { dataDifferencesTable } from './data-differences.ts';
import { cell, code, counted, formatCount, formatDuration, route, table } from './markdown.ts';
import { groupObjectChanges, objectChangesHeadline, objectChangesTable } from './object-changes.ts';

const show = (v: unknown) => cell(typeof v === 'string' ? v : JSON.stringify(v)).slice(0, 160);

/** Rows per table: one screen. */
const MAX_ROWS = 30;
const more = (n: number, what: string) =>
  n > MAX_ROWS ? ['', `… and ${formatCount(n - MAX_ROWS)} more ${what} (see validate.json).`] : [];

export function renderValidateSummary(r: ValidateResult): string {
  const where = route(r.target, r.source, 'against');
  const relations = r.data.map((d) => d.table);
  const groups = groupObjectChanges(r.objects, relations);
  const out = [`## envsync validate — ${where.heading}`, ''];
  if (where.displays) out.push(where.displays, '');
  out.push(
    r.identical
      ? `**Exact replica.** ${r.tablesCompared} tables and ${formatCount(r.rowsCompared)} rows compared by count and checksum; every object and sequence matches.`
      : `**Differs:** ${counted(groups.length, 'object')}, ${r.schemaDump.length} schema dump entr${r.schemaDump.length === 1 ? 'y' : 'ies'}, ${r.data.length} table(s) of data, ${r.sequences.length} sequence(s).`,
    '',
    `Catalogs ${formatDuration(r.timings.inventoryMs)} · ${r.digest ? 'rows checksummed' : 'both servers checksummed in parallel'} ${formatDuration(r.timings.checksumMs)} · total ${formatDuration(r.timings.totalMs)}`,
    '',
    ...(r.digest
      ? [
          `Rows compared with the source as the sync read them (${code(r.digest.dir)}, snapshot of ${r.digest.takenAt}): ${counted(r.digest.tables, 'table')} from its digest, the rest read live. Objects and the schema dump are the source's as it is now.`,
          '',
        ]
      : []),
  );
  if (r.masked) {
    const m = r.masked;
    const leaks = m.proof.columns.filter((c) => c.unchanged > 0);
    const dangling = m.proof.foreignKeys.filter((f) => f.dangling > 0);
    const dupes = m.proof.uniques.filter((u) => u.duplicates > 0);
    out.push(
      '### Masked copy',
      '',
      `${m.reason === '--mask' ? 'With --masked' : `Masked because ${m.reason}`}: ${counted(m.excluded.length, 'column')} left out of the checksums (masked, or generated from masked ones)${m.neutralized.length ? `; ${counted(m.neutralized.length, 'difference')} accepted as neutralized side effects` : ''}.`,
      '',
      table(
        ['Masked column', 'Strategy', 'Compared', 'Equal to the source'],
        m.proof.columns
          .slice(0, MAX_ROWS)
          .map((c) => [
            code(`${c.table}.${c.column}`),
            c.strategy,
            c.note
              ? cell(c.note)
              : `${formatCount(c.compared)}${c.sampled ? ' (random sample)' : ' (every row)'}`,
            c.unchanged ? `**${formatCount(c.unchanged)}**` : '0',
          ]),
      ),
      ...more(m.proof.columns.length, 'columns'),
      '',
      `FKs into or out of masked tables: ${m.proof.foreignKeys.length} checked, ${dangling.length ? `**${dangling.map((f) => `${f.name} (${formatCount(f.dangling)} dangling)`).join(', ')}**` : 'all resolve'}. Unique constraints over masked columns: ${m.proof.uniques.length} checked, ${dupes.length ? `**${dupes.map((u) => `${u.constraint} (${formatCount(u.duplicates)} duplicated)`).join(', ')}**` : 'all hold'}.${leaks.length ? ` **${counted(leaks.length, 'masked column')} still hold source values.**` : ''}`,
      '',
    );
  }
  if (groups.length) {
    out.push(
      '### Objects',
      '',
      `${objectChangesHeadline(groups, 'compare')}.`,
      '',
      objectChangesTable(r.objects, { wording: 'compare', json: 'validate.json', max: MAX_ROWS, relations }),
      '',
    );
  }
  if (r.schemaDump.length) {
    out.push(
      '### Schema dump (`pg_dump --schema-only`, entry by entry)',
      '',
      table(
        ['Kind', 'Object', 'Change', 'Source', 'Target'],
        r.schemaDump
          .slice(0, MAX_ROWS)
          .map((d) => [d.kind, code(d.object), d.change, show(d.source ?? ''), show(d.target ?? '')]),
      ),
      ...more(r.schemaDump.length, 'entries'),
      '',
    );
  }
  if (r.data.length) {
    out.push(
      '### Data',
      '',
      dataDifferencesTable(r.data.slice(0, MAX_ROWS), {
        expected: 'Source',
        actual: 'Target',
        extra: 'only on target',
        missing: 'missing on target',
      }),
      ...more(r.data.length, 'tables'),
      '',
    );
  }
  for (const l of r.located) {
    out.push(
      `Differing keys of ${code(l.table)} (${l.primaryKey.join(', ')})${l.truncated ? ', first 20' : ''}: ${l.keys.map(code).join(', ') || 'none found (rows changed while comparing?)'}`,
      '',
    );
  }
  if (r.sequences.length) {
    out.push(
      '### Sequences',
      '',
      table(
        ['Sequence', 'Source', 'Target'],
        r.sequences
          .slice(0, MAX_ROWS)
          .map((s) => [code(s.sequence), s.source?.lastValue ?? '—', s.target?.lastValue ?? '—']),
      ),
      ...more(r.sequences.length, 'sequences'),
      '',
    );
  }
  return out.join('\n');
}
