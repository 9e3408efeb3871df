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
      label: 'validate (both servers read) / sync',
      value: times(r.validateBothVsSync),
      note: `target ≤ ${BENCH_TARGETS.validateVsSync}×`,
    },
    {
      label: 'validate --digest / sync --digest',
      value: times(r.validateVsSync),
      note: `target ≤ ${BENCH_TARGETS.validateVsSync}×; the pipeline's pair`,
    },
    {
      label: 'sync --digest / (a) pg_dump | psql',
      value: times(r.syncDigestVsDump),
      note: 'the digest read on the source while the target builds indexes',
    },
    {
      label: 'sync throughput',
      value: `${Math.round(r.syncRowsPerSecond).toLocaleString('en-US')} rows/s`,
      note: `wall, start-up included; target ≥ ${BENCH_TARGETS.syncRowsPerSecond.toLocaleString('en-US')}`,
    },
  ];
}

/** The same, as plain lines for the console. */
export function benchRatioLines(d: BenchDataset): string[] {
  return benchRatios(d).map((x) => `${x.label}: ${x.value}${x.note ? ` (${x.note})` : ''}`);
}

/** How the cost grew from a tenth of the data to all of it, per method and per sync phase. */
export function benchGrowthLines(d: BenchDataset): string[] {
  const g = d.growth;
  if (!g) return [];
  const phase = (label: string, [small, big]: [number, number]) =>
    `sync ${label}: ${(small / 1000).toFixed(2)} s → ${(big / 1000).toFixed(2)} s (${times(big / Math.max(small, 1))})`;
  return [
    `growth from ${g.smallName} (${g.smallRows.toLocaleString('en-US')} rows) to ${d.name} (${times(g.rows / Math.max(g.smallRows, 1))} the rows; target ≤ ${BENCH_TARGETS.growthPerTenfold}× the time per 10×):`,
    ...g.methods.map(
      (m) => `  ${m.method}: ${m.smallSeconds.toFixed(2)} s → ${m.seconds.toFixed(2)} s (${times(m.ratio)})`,
    ),
    `  ${phase('COPY phase', g.syncPhases.copyMs)}; ${phase('indexes/constraints', g.syncPhases.postDataMs)}; ${phase('in-job total', g.syncPhases.totalMs)}`,
  ];
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
      ...benchGrowthLines(d).map((l) => (l.startsWith('  ') ? `  - ${l.trim()}` : `- ${l}`)),
      '',
    );
  }
  return lines.join('\n');
}
