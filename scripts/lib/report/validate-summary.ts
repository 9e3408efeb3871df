// The validation for people: the verdict, then every difference, objects first.

import type { ValidateResult } from '../results/validate.ts';
import { cell, code, formatCount, formatDuration, table } from './markdown.ts';

const show = (v: unknown) => cell(typeof v === 'string' ? v : JSON.stringify(v)).slice(0, 160);

export function renderValidateSummary(r: ValidateResult): string {
  const out = [
    `## envsync validate — ${code(r.target.display)} against ${code(r.source.display)}`,
    '',
    r.identical
      ? `**Exact replica.** ${r.tablesCompared} tables and ${formatCount(r.rowsCompared)} rows compared by count and checksum; every object and sequence matches.`
      : `**Differs:** ${r.objects.length} object(s), ${r.schemaDump.length} schema dump entr${r.schemaDump.length === 1 ? 'y' : 'ies'}, ${r.data.length} table(s) of data, ${r.sequences.length} sequence(s).`,
    '',
    `Catalogs ${formatDuration(r.timings.inventoryMs)} · both servers checksummed in parallel ${formatDuration(r.timings.checksumMs)} · total ${formatDuration(r.timings.totalMs)}`,
    '',
  ];
  if (r.objects.length) {
    out.push(
      '### Objects',
      '',
      table(
        ['Kind', 'Object', 'Change', 'Source', 'Target'],
        r.objects
          .slice(0, 200)
          .map((d) => [
            d.kind,
            code(d.object),
            d.fields ? `differs: ${d.fields.map((f) => f.field).join(', ')}` : d.change,
            d.fields ? show(d.fields[0]!.source) : '',
            d.fields ? show(d.fields[0]!.target) : '',
          ]),
      ),
      r.objects.length > 200 ? `\n… and ${r.objects.length - 200} more (see validate.json).` : '',
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
          .slice(0, 200)
          .map((d) => [d.kind, code(d.object), d.change, show(d.source ?? ''), show(d.target ?? '')]),
      ),
      r.schemaDump.length > 200 ? `\n… and ${r.schemaDump.length - 200} more (see validate.json).` : '',
      '',
    );
  }
  if (r.data.length) {
    out.push(
      '### Data',
      '',
      table(
        ['Table', 'Source rows', 'Target rows', 'Content'],
        r.data.map((d) => [
          code(d.table),
          formatCount(d.expected?.rows),
          formatCount(d.actual?.rows),
          d.expected && d.actual && d.expected.checksum !== d.actual.checksum ? 'differs' : 'same',
        ]),
        ['l', 'r', 'r', 'l'],
      ),
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
        r.sequences.map((s) => [code(s.sequence), s.source?.lastValue ?? '—', s.target?.lastValue ?? '—']),
      ),
      '',
    );
  }
  return out.join('\n');
}
