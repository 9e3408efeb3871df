// The health check for people: one table — probe, result, latency, detail.

import type { HealthResult } from '../results/health-check.ts';
import { database, formatDuration, prose, table } from './markdown.ts';

export function renderHealthSummary(r: HealthResult): string {
  const failed = r.probes.filter((p) => !p.ok).length;
  return [
    `## envsync health-check — ${database(r.target)}`,
    '',
    failed
      ? `**${failed} of ${r.probes.length} probes failed** (${formatDuration(r.durationMs)}).`
      : `All ${r.probes.length} probes healthy (${formatDuration(r.durationMs)}).`,
    '',
    table(
      ['Probe', 'Result', 'Latency', 'Detail'],
      // Failures first: they are what the reader must act on.
      [...r.probes]
        .sort((a, b) => Number(a.ok) - Number(b.ok))
        .map((p) => [
          prose(p.probe),
          p.ok ? '✅ ok' : '❌ failed',
          p.latencyMs === null ? '—' : `${p.latencyMs} ms`,
          prose(p.detail) + (p.attempts > 1 ? ` (after ${p.attempts} attempts)` : ''),
        ]),
      ['l', 'l', 'r', 'l'],
    ),
    '',
  ].join('\n');
}
