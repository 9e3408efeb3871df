// The message notify posts about a finished run, built from its report, and its two webhook
// dialects: Slack's `{ text }` in mrkdwn and Discord's `{ content, embeds }`. Pure renderers.

import type {
  DiscordPayload,
  MessageFact,
  NotifyFormat,
  NotifyMessage,
  NotifyPayload,
  RunOutcome,
  SlackPayload,
} from '../results/notify.ts';
import type { RunReport } from '../results/report.ts';
import { counted, formatDuration } from './markdown.ts';

/**
 * What a run changed, one describer per field of the report that says so, in this order. A
 * report that carries more (a production deploy's content rows, its backup) adds an entry here.
 */
const CHANGES: { [K in keyof RunReport]?: (value: NonNullable<RunReport[K]>, r: RunReport) => string } = {
  migrated: (m, r) =>
    `${counted(m.applied, 'migration')} ${r.dryRun ? 'rehearsed and rolled back' : 'applied'}`,
  synced: (s, r) => `${counted(s.rows, 'row')} in ${counted(s.tables, 'table')} synced from ${r.source}`,
  promoted: (p, r) => `${counted(p.rows, 'content row')} promoted from ${r.source}`,
};

function changes(r: RunReport): string[] {
  const out: string[] = [];
  for (const [field, describe] of Object.entries(CHANGES)) {
    const value = r[field as keyof RunReport];
    if (value === null || value === undefined) continue;
    out.push((describe as (v: unknown, r: RunReport) => string)(value, r));
  }
  return out;
}

export function runOutcome(r: RunReport): RunOutcome {
  if (r.ok) return r.dryRun ? 'dry-run' : 'success';
  return r.rolledBack === true ? 'rolled-back' : r.rolledBack === false ? 'rollback-failed' : 'failure';
}

const TITLE: Record<RunOutcome, (env: string, failed: string) => string> = {
  success: (env) => `✅ Succeeded: ${env}`,
  'dry-run': (env) => `☑️ Dry run: ${env}, nothing changed`,
  failure: (env, failed) => `❌ Failed: ${env}, at ${failed}`,
  'rolled-back': (env, failed) => `↩️ Rolled back: ${env}, after ${failed} failed`,
  'rollback-failed': (env, failed) => `🚨 Rollback failed: ${env}, after ${failed} failed`,
};

/** A job's headline is free text of any length; a chat message needs one short line. */
const HEADLINE_LIMIT = 300;
const shorten = (text: string) =>
  text.length > HEADLINE_LIMIT ? `${text.slice(0, HEADLINE_LIMIT - 1)}…` : text;

/** The message about `r`, for the team of `environment` (default: the report's target). */
export function notifyMessage(r: RunReport, environment: string = r.target): NotifyMessage {
  const outcome = runOutcome(r);
  const failed = r.failedJob ?? 'an unknown job';
  const failedJob = r.jobs.find((j) => j.job === r.failedJob);
  const changed = changes(r);
  const facts: MessageFact[] = [
    {
      label: 'Changed',
      text: changed.length ? changed.join('; ') : r.dryRun ? 'nothing (dry run)' : 'nothing',
    },
  ];
  if (!r.ok)
    facts.push({
      label: 'Failed',
      text: `${failed}: ${shorten(failedJob?.headline || failedJob?.result || 'no result')}`,
    });
  if (r.rolledBack === true)
    facts.push({
      label: 'Rolled back',
      text: `${r.target} was restored to its snapshot and proved identical`,
    });
  if (r.rolledBack === false)
    facts.push({
      label: 'Rollback',
      text: `FAILED: restore ${r.target} by hand (docs/github-setup.md, “Recovering by hand”)`,
    });
  facts.push({ label: 'Duration', text: formatDuration(r.totalMs) });
  return {
    outcome,
    environment,
    title: TITLE[outcome](environment, failed),
    route: `${r.source} → ${r.target} (${r.mode}${r.dryRun ? ', dry run' : ''})`,
    facts,
    runUrl: r.runUrl,
  };
}

/** A link target both dialects can carry as it is: an http(s) URL with nothing that ends a link. */
const linkable = (url: string | null): url is string =>
  url !== null && /^https?:\/\/[^\s<>|()[\]]+$/.test(url);

// Slack's mrkdwn: &, < and > are its only escapes (they would start a link or a mention).
const slackText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function slackPayload(m: NotifyMessage): SlackPayload {
  const lines = [
    `*${slackText(m.title)}*`,
    `envsync ${slackText(m.route)}`,
    ...m.facts.map((f) => `*${slackText(f.label)}:* ${slackText(f.text)}`),
  ];
  if (linkable(m.runUrl)) lines.push(`<${m.runUrl}|View the run>`);
  else if (m.runUrl) lines.push(`Run: ${slackText(m.runUrl)}`);
  return { text: lines.join('\n') };
}

// Discord's markdown: a backslash before each character that would format, quote or link.
const discordText = (text: string) => text.replace(/([\\*_~`|>[\]()#])/g, '\\$1');

/** The embed's stripe: green, blue, red, amber, dark red. */
const COLOR: Record<RunOutcome, number> = {
  success: 0x2eb67d,
  'dry-run': 0x3498db,
  failure: 0xe01e5a,
  'rolled-back': 0xecb22e,
  'rollback-failed': 0x8b0000,
};

export function discordPayload(m: NotifyMessage): DiscordPayload {
  const lines = m.facts.map((f) => `**${discordText(f.label)}:** ${discordText(f.text)}`);
  if (linkable(m.runUrl)) lines.push(`[View the run](${m.runUrl})`);
  else if (m.runUrl) lines.push(`Run: ${discordText(m.runUrl)}`);
  return {
    content: discordText(m.title),
    embeds: [
      {
        title: `envsync ${m.route}`,
        description: lines.join('\n'),
        color: COLOR[m.outcome],
        ...(linkable(m.runUrl) ? { url: m.runUrl } : {}),
      },
    ],
    // A headline that reads `@everyone` must not ping the channel.
    allowed_mentions: { parse: [] },
  };
}

export function notifyPayload(format: NotifyFormat, m: NotifyMessage): NotifyPayload {
  return format === 'slack' ? slackPayload(m) : discordPayload(m);
}
