// The production marker for people: which database, since when, by whom.

import type { MarkProductionResult } from '../results/mark-production.ts';
import { code, database } from './markdown.ts';

export function renderMarkProductionSummary(r: MarkProductionResult): string {
  return [
    `## envsync mark-production — ${database(r.target)}`,
    '',
    `**Marked as production**${r.already ? ' (it already was)' : ''}: ${r.marker.markedAt} by ${code(r.marker.markedBy)}.`,
    '',
    'Every envsync job that writes now refuses this database without `--allow-production`, however its URL is spelled.',
    '',
  ].join('\n');
}
