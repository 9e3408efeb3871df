// A plan as a pull request's comment — the marker its upsert finds it by, then the plan as the
// approver reads it (the production plan's own summary) or, for a pull request into staging, the
// lint findings (lint-migrations' own summary), and where it comes from — cut to GitHub's limit
// with a link to the whole; and the pr-comment job's own summary: which comment, what it did.

import type { CommentedPlan, PlanComment, PrCommentResult } from '../results/pr-comment.ts';
import { renderLintMigrationsSummary } from './lint-migrations-summary.ts';
import { code, formatCount } from './markdown.ts';
import { renderProductionPlanSummary } from './production-plan-summary.ts';

/** GitHub refuses a longer comment body ("Body is too long (maximum is 65536 characters)"). */
export const COMMENT_LIMIT = 65_536;

/**
 * The comment's text: at most `limit` characters (UTF-16 units, never fewer than GitHub counts),
 * cut at a line with a note saying where the whole plan is when it would be longer.
 */
export function renderPlanComment(
  plan: CommentedPlan,
  c: PlanComment,
  limit = COMMENT_LIMIT,
): { body: string; truncated: boolean } {
  const content = planMarkdown(plan).trimEnd();
  const footer = footerLine(plan, c);
  const whole = [c.marker, content, '', footer, ''].join('\n');
  if (whole.length <= limit) return { body: whole, truncated: false };
  const where = c.runUrl
    ? `in [the run’s summary](${c.runUrl})`
    : `in the plan’s artifact (${code(`${plan.job}.json`)}, ${code('summary.md')})`;
  const note = `**Cut short:** a comment holds at most ${formatCount(limit)} characters; the whole plan is ${where}.`;
  const frame = [c.marker, '', '…', '', note, '', footer, ''].join('\n').length + 1;
  const room = content.slice(0, Math.max(0, limit - frame));
  const kept = room.slice(0, Math.max(0, room.lastIndexOf('\n'))).trimEnd();
  return { body: [c.marker, kept, '', '…', '', note, '', footer, ''].join('\n'), truncated: true };
}

/** The plan as its own job's summary renders it; a run that ended in an error, as that error. */
function planMarkdown(plan: CommentedPlan): string {
  const { record } = plan;
  if (!record.result) {
    const error = record.error ?? { message: 'no result', hint: 'run it again' };
    return [
      `## envsync ${plan.job}: error`,
      '',
      `**${plain(error.message)}**`,
      '',
      `How to fix: ${plain(error.hint)}`,
      '',
    ].join('\n');
  }
  return plan.job === 'production-plan'
    ? renderProductionPlanSummary(plan.record.result!)
    : renderLintMigrationsSummary(plan.record.result!);
}

function footerLine(plan: CommentedPlan, c: PlanComment): string {
  const into = c.base ? ` for merging into ${code(c.base)}` : '';
  const what =
    plan.job === 'production-plan'
      ? `the production plan${into}: the deploy after the merge plans again and waits for an approval`
      : `the migrations’ lint${into}`;
  const run = c.runUrl ? ` · [workflow run](${c.runUrl})` : '';
  return `<sub>envsync — ${what}. One comment, updated on every run${run}.</sub>`;
}

/** A message for a line of Markdown: the characters that would format it escaped. */
const plain = (text: string) => text.replace(/([\\*_`<>[\]|])/g, '\\$1');

/** The pr-comment job's summary: what it did to which comment, then the comment as it reads. */
export function renderPrCommentSummary(r: PrCommentResult): string {
  const where = `${r.repo}#${r.pr}`;
  const link = r.comment ? `[the plan comment](${r.comment.url})` : 'the plan comment';
  const request = r.request ? code(`${r.request.method} ${r.request.path}`) : '';
  const lead = r.dryRun
    ? r.request
      ? `**Dry run:** it would ${r.action === 'create' ? 'create' : 'update'} ${link} with ${request}; nothing was sent.`
      : `**Dry run:** ${link} already says this plan; nothing would be sent.`
    : r.action === 'unchanged'
      ? `**Already up to date:** ${link} says exactly this plan; nothing was sent.`
      : `**${r.action === 'create' ? 'Created' : 'Updated'}** ${link} with ${request}.`;
  const ours = r.author
    ? `by ${code(r.author)} (the token’s user) and starting with the marker`
    : 'starting with the marker (GitHub does not name this token’s user)';
  const rows = [
    ['Plan', `${code(r.plan.dir)} — ${r.plan.job}, ${r.plan.status}`],
    ['Marker', code(r.marker)],
    [
      'Comments read',
      `${formatCount(r.commentsRead)}; ours: ${ours}` +
        (r.otherMarked ? `; ${formatCount(r.otherMarked)} more with the marker, left as they are` : ''),
    ],
    [
      'Length',
      `${formatCount(r.body.length)} characters${r.truncated ? ` — cut to GitHub’s ${formatCount(COMMENT_LIMIT)}` : ''}`,
    ],
  ];
  return [
    `## envsync pr-comment — ${code(where)}`,
    '',
    lead,
    '',
    '| | |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '<details>',
    `<summary>The comment${r.dryRun && r.request ? ' it would send' : ''}</summary>`,
    '',
    r.body.trimEnd(),
    '',
    '</details>',
    '',
    `Read with ${r.reads} GET request(s) from ${code(r.apiUrl)}.`,
    '',
  ].join('\n');
}
