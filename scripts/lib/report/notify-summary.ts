// The notify step's summary: whether the team was told, where (the webhook's host only), and
// the message as it was sent.

import type { NotifyDelivery, NotifyFormat, NotifyResult } from '../results/notify.ts';
import { code, environment, formatDuration, prose } from './markdown.ts';

export const FORMAT_NAME: Record<NotifyFormat, string> = { slack: 'Slack', discord: 'Discord' };

function deliveryLine(d: NotifyDelivery): string {
  if (!d.configured)
    return (
      '**Notifications are not configured: nothing was sent.** Set the secret `NOTIFY_WEBHOOK_URL` to a Slack ' +
      'or Discord incoming webhook and pass it to this step as env (docs/notify.md).'
    );
  const where = `${FORMAT_NAME[d.format!]} (${code(d.host ?? '')})`;
  const took = d.ms === null ? '' : ` in ${formatDuration(d.ms)}`;
  if (d.delivered) return `**Sent to ${where}: HTTP ${d.status}${took}.**`;
  return (
    `**Not delivered: ${where} ${d.status === null ? 'could not be reached:' : 'answered'} ${prose(d.error ?? 'no answer')}.** ` +
    'The run’s result stands: a notification never fails it.'
  );
}

export function renderNotifySummary(r: NotifyResult): string {
  const m = r.message;
  return [
    `## envsync notify — ${environment(m.environment)}`,
    '',
    deliveryLine(r.delivery),
    '',
    `### The message${r.payload ? '' : ' (not sent)'}`,
    '',
    `**${prose(m.title)}** — envsync ${prose(m.route)}`,
    '',
    ...m.facts.map((f) => `- **${prose(f.label)}:** ${prose(f.text)}`),
    ...(m.runUrl ? [`- **Run:** ${m.runUrl}`] : []),
    '',
    r.payload
      ? `Made from ${code(r.report)}; the exact body posted is \`result.payload\` in notify.json.`
      : `Made from ${code(r.report)}.`,
    '',
  ].join('\n');
}
