// The pipeline on one screen: every step, its verdict, where its artifacts are.

import type { PipelineResult } from '../results/run-pipeline.ts';
import { code, formatBytes, formatCount, formatDuration, prose, route, table } from './markdown.ts';

export function renderPipelineSummary(r: PipelineResult): string {
  const where = route(r.source, r.target);
  return [
    `## envsync pipeline — ${where.heading}`,
    '',
    ...(where.displays ? [where.displays, ''] : []),
    r.ok
      ? `**Synced, validated, healthy.** ${formatCount(r.synced?.rows)} rows in ${r.synced?.tables} tables (${formatBytes(r.synced?.bytes ?? 0)}), sync ${formatDuration(r.synced?.ms ?? 0)}, pipeline ${formatDuration(r.durationMs)}.`
      : `**Stopped at ${r.failedStep}.** ${r.rolledBack === null ? 'The target was not changed by this run.' : r.rolledBack ? 'The sync had committed; the target was rolled back to its snapshot and proved identical to it.' : '**The rollback failed: restore by hand from prepare/snapshot (see docs/rollback.md).**'}`,
    '',
    table(
      ['Step', 'Exit', 'Time', 'Result', 'Artifacts'],
      r.steps.map((s) => [
        s.step,
        String(s.exitCode),
        formatDuration(s.durationMs),
        prose(s.headline.replace(/^(ok|failed|error): /, '')),
        code(`${r.out}/${s.step}`),
      ]),
      ['l', 'r', 'r', 'l', 'l'],
    ),
    '',
  ].join('\n');
}
