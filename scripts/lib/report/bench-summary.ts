// The bench on one screen: per data set each method's median and runs, and the ratios that matter.

import { BENCH_TARGETS, type BenchDataset, type BenchResult } from '../results/bench.ts';
import { cell } from './markdown.ts';

const times = (x: number) => `${x.toFixed(2)}×`;

/** The ratios that matter for one data set, with the target each is held to. */
export function benchRatios(d: BenchDataset): { label: string; value: string; note: string }[] {
  const r = d.ratios;
  return [
    {
      label: 'sync / (a) pg_dump | psql',
      value: times(r.syncVsDump),
      note: `target ≤ ${BENCH_TARGETS.syncVsDump}×`,
    },
    { label: 'sync / (b) pg_dump -Fc + pg_restore', value: times(r.syncVsRestore), note: '' },
    {
      label: 'validate / sync',
      value: times(r.validateVsSync),
      note: `target ≤ ${BENCH_TARGETS.validateVsSync}×`,
    },
    {
      label: 'sync throughput',
      value: `${Math.round(r.syncRowsPerSecond).toLocaleString('en-US')} rows/s`,
      note: `wall, tsx start included; target ≥ ${BENCH_TARGETS.syncRowsPerSecond.toLocaleString('en-US')}`,
    },
  ];
}

/** The same, as plain lines for the console. */
export function benchRatioLines(d: BenchDataset): string[] {
  return benchRatios(d).map((x) => `${x.label}: ${x.value}${x.note ? ` (${x.note})` : ''}`);
}

/** sync's phases from sync.json: what dominates. */
export function benchPhasesLine(d: BenchDataset): string {
  const p = d.syncPhases;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return (
    `sync phases (median, in the job): preparation ${s(p.preparationMs)}, schema ${s(p.schemaMs)}, ` +
    `COPY ${s(p.copyMs)}, indexes/constraints/grants ${s(p.postDataMs)}, commit ${s(p.commitMs)}, total ${s(p.totalMs)}`
  );
}

export function renderBenchSummary(r: BenchResult): string {
  const lines = [
    `## envsync bench — median of ${r.runs} run(s), ${r.cpus} CPU(s), ${r.startedAt}`,
    '',
    ...(r.pgcopydb ? [] : [`(c) ${r.pgcopydbMissing ?? 'pgcopydb is not installed'}: skipped.`, '']),
  ];
  for (const d of r.datasets) {
    const sync = d.methods.find((m) => m.id === 'd')!;
    lines.push(
      `### ${d.name} (${d.rows.toLocaleString('en-US')} rows)`,
      '',
      '| Method | Median | Runs | vs sync |',
      '| --- | ---: | --- | ---: |',
      ...d.methods.map(
        (m) =>
          `| ${cell(m.method)} | ${m.medianSeconds.toFixed(2)} s | ${m.seconds.map((s) => s.toFixed(1)).join(', ')} | ${times(m.medianSeconds / sync.medianSeconds)} |`,
      ),
      '',
      ...benchRatios(d).map((x) => `- ${cell(x.label)}: **${x.value}**${x.note ? ` (${x.note})` : ''}`),
      `- ${benchPhasesLine(d)}`,
      '',
    );
  }
  return lines.join('\n');
}
