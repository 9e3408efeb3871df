// notify: tells the team how a finished run went — one message to a Slack or Discord incoming
// webhook, made from the report job's report.json. The webhook URL (NOTIFY_WEBHOOK_URL) is a
// secret: only its host is ever shown. A webhook that fails is a warning, never a failed run.

import { statSync } from 'node:fs';
import path from 'node:path';
import { InputError, readFlags } from '../base/errors.ts';
import { readJsonFile } from '../base/json-file.ts';
import { parseDuration } from '../cli/duration.ts';
import { formatDuration } from '../report/markdown.ts';
import { notifyMessage, notifyPayload } from '../report/notify-message.ts';
import { FORMAT_NAME, renderNotifySummary } from '../report/notify-summary.ts';
import type { JobRecord } from '../results/job-record.ts';
import type { NotifyDelivery, NotifyFormat, NotifyPayload, NotifyResult } from '../results/notify.ts';
import type { RunReport } from '../results/report.ts';
import type { Job, JobContext } from './runner.ts';

export interface Webhook {
  url: string;
  /** What may be shown of it: `hooks.slack.com`. */
  host: string;
  format: NotifyFormat;
  /** The URL and the path that holds its token: the runner masks them wherever they could appear. */
  secrets: string[];
}

export interface NotifyOptions {
  /** The report.json read. */
  reportFile: string;
  report: RunReport;
  /** The environment the message names (default: the report's target). */
  environment: string;
  /** null: NOTIFY_WEBHOOK_URL is not set, nothing is sent. */
  webhook: Webhook | null;
  timeoutMs: number;
}

export async function runNotify(ctx: JobContext, o: NotifyOptions): Promise<NotifyResult> {
  const message = notifyMessage(o.report, o.environment);
  if (!o.webhook) {
    const delivery = { ...NOT_SENT, configured: false };
    return { report: o.reportFile, message, delivery, payload: null };
  }
  const payload = notifyPayload(o.webhook.format, message);
  const delivery = await postPayload(ctx, o.webhook, payload, o.timeoutMs);
  return { report: o.reportFile, message, delivery, payload };
}

const NOT_SENT: NotifyDelivery = {
  configured: true,
  format: null,
  host: null,
  status: null,
  delivered: false,
  error: null,
  ms: null,
};

/** One POST, bounded by the timeout; whatever goes wrong is reported, never thrown. */
async function postPayload(
  ctx: JobContext,
  webhook: Webhook,
  payload: NotifyPayload,
  timeoutMs: number,
): Promise<NotifyDelivery> {
  const sent = { ...NOT_SENT, format: webhook.format, host: webhook.host };
  const started = ctx.now().getTime();
  const took = () => ctx.now().getTime() - started;
  try {
    const res = await fetch(webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
      // A webhook does not redirect; following one would re-send the message somewhere else.
      redirect: 'manual',
    });
    // Slack answers `ok` or an error code (`invalid_payload`), Discord 204 or a JSON error.
    const answer = (await res.text()).replace(/\s+/g, ' ').trim().slice(0, 200);
    return {
      ...sent,
      status: res.status,
      delivered: res.ok,
      error: res.ok ? null : `HTTP ${res.status}${answer ? `: ${answer}` : ''}`,
      ms: took(),
    };
  } catch (error) {
    return { ...sent, error: fetchError(error, timeoutMs), ms: took() };
  }
}

/** `no answer within 10.0 s`, `connect ECONNREFUSED 127.0.0.1:9`: the cause, never the URL. */
function fetchError(error: unknown, timeoutMs: number): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return `no answer within ${formatDuration(timeoutMs)}`;
  const cause = e.cause;
  if (cause?.code)
    return cause.message?.includes(cause.code)
      ? cause.message
      : `${cause.code}: ${cause.message ?? e.message}`;
  return cause?.message ?? e.message;
}

const FORMATS: NotifyFormat[] = ['slack', 'discord'];
const isFormat = (v: unknown): v is NotifyFormat => FORMATS.includes(v as NotifyFormat);

const WEBHOOK_HINT =
  'set NOTIFY_WEBHOOK_URL to the incoming webhook’s https:// address (https://hooks.slack.com/services/… or ' +
  'https://discord.com/api/webhooks/…)';

/** `--format`: slack or discord; absent means: chosen by the webhook's host. */
function parseFormat(value: unknown): NotifyFormat | undefined {
  if (value === undefined || isFormat(value)) return value;
  throw new InputError(
    `--format ${String(value)} is not one of ${FORMATS.join(', ')}`,
    'pass --format slack or --format discord, or leave it out to choose by the webhook’s host',
  );
}

/** The dialect a webhook speaks, by its host: Slack's and Discord's own addresses. */
export function webhookFormat(url: URL): NotifyFormat | undefined {
  if (url.hostname === 'hooks.slack.com') return 'slack';
  if (/^(discord|discordapp)\.com$/.test(url.hostname) && url.pathname.startsWith('/api/webhooks/'))
    return 'discord';
  return undefined;
}

/**
 * NOTIFY_WEBHOOK_URL → the webhook, or null when it is not set (an unset GitHub secret is an
 * empty string). Its value is never repeated in an error: it is a secret.
 */
function readWebhook(value: string | undefined, formatFlag: unknown): Webhook | null {
  if (!value?.trim()) return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InputError('NOTIFY_WEBHOOK_URL is not a URL', WEBHOOK_HINT);
  }
  if (url.protocol !== 'https:')
    throw new InputError(`NOTIFY_WEBHOOK_URL is not an https URL (it starts ${url.protocol})`, WEBHOOK_HINT);
  // A bad --format is reported by its own reader.
  if (formatFlag !== undefined && !isFormat(formatFlag)) return null;
  const format = isFormat(formatFlag) ? formatFlag : webhookFormat(url);
  if (!format)
    throw new InputError(
      `NOTIFY_WEBHOOK_URL (host ${url.host}) is neither a Slack nor a Discord webhook address`,
      'use https://hooks.slack.com/services/… or https://discord.com/api/webhooks/…, or pass --format slack|discord ' +
        'for an endpoint that takes their payload',
    );
  const tokenPath = `${url.pathname}${url.search}`;
  const tokens = url.pathname.split('/').filter((segment) => segment.length >= 16);
  return {
    url: url.href,
    host: url.host,
    format,
    secrets: [value, value.trim(), url.href, tokenPath, ...tokens],
  };
}

const REPORT_HINT =
  'pass the report job’s --out directory (or its report.json), e.g. --report artifacts/report';

/** The fields notify reads, and what each must be; a report from an older or newer envsync may carry more. */
const REPORT_FIELDS: Record<string, (v: unknown) => boolean> = {
  source: (v) => typeof v === 'string',
  target: (v) => typeof v === 'string' && v !== '',
  mode: (v) => typeof v === 'string',
  ok: (v) => typeof v === 'boolean',
  dryRun: (v) => typeof v === 'boolean',
  failedJob: (v) => v === null || typeof v === 'string',
  rolledBack: (v) => v === null || typeof v === 'boolean',
  runUrl: (v) => v === null || typeof v === 'string',
  totalMs: (v) => typeof v === 'number',
  jobs: (v) => Array.isArray(v) && v.every((j) => typeof (j as { job?: unknown })?.job === 'string'),
  synced: (v) => v == null || counts(v, 'rows', 'tables'),
  migrated: (v) => v == null || counts(v, 'applied'),
};

const counts = (v: unknown, ...keys: string[]) =>
  typeof v === 'object' && keys.every((k) => typeof (v as Record<string, unknown>)[k] === 'number');

/** `--report`: the report job's record, read and checked; a directory means its report.json. */
function readReport(value: unknown): { reportFile: string; report: RunReport } {
  if (typeof value !== 'string' || value === '') throw new InputError('--report is required', REPORT_HINT);
  const file = isDirectory(value) ? path.join(value, 'report.json') : value;
  const record = readJsonFile(file, REPORT_HINT) as Partial<JobRecord<RunReport>> | null;
  if (record?.job !== 'report')
    throw new InputError(
      `${file} is not the report job’s record${typeof record?.job === 'string' ? ` (it is ${record.job}’s)` : ''}`,
      REPORT_HINT,
    );
  if (!record.result || typeof record.result !== 'object')
    throw new InputError(
      `${file} holds no report: the report job ended with an error${record.error?.message ? ` (${record.error.message})` : ''}`,
      'fix what the report step’s log names, then run notify on its new report.json',
    );
  const result = record.result as unknown as Record<string, unknown>;
  const bad = Object.keys(REPORT_FIELDS).filter((field) => !REPORT_FIELDS[field]!(result[field]));
  if (bad.length)
    throw new InputError(
      `${file} is not a report notify can read: ${bad.join(', ')} missing or malformed`,
      REPORT_HINT,
    );
  return { reportFile: file, report: record.result };
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** `--environment`: any name to show; default the report's target. */
function parseEnvironment(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.trim()) return value.trim();
  throw new InputError(
    '--environment is empty',
    'pass the environment’s name, e.g. --environment production',
  );
}

/** A notification must not hold up the job it reports on. */
const NOTIFY_LIMIT_MS = 60_000;

function parseTimeout(value: unknown): number {
  const ms = parseDuration('--timeout', value, 10_000, NOTIFY_LIMIT_MS);
  if (ms > 0) return ms;
  throw new InputError(`--timeout ${String(value)} is not above zero`, 'use e.g. --timeout 10s');
}

const sentTo = (d: NotifyDelivery) => `${FORMAT_NAME[d.format!]} (${d.host})`;

export const notifyJob: Job<NotifyOptions, NotifyResult> = {
  name: 'notify',
  description:
    'Posts one message about a finished run — succeeded, failed or rolled back; the environment; what changed; how ' +
    'long it took; a link to the run — to the Slack or Discord incoming webhook in NOTIFY_WEBHOOK_URL (the format ' +
    'chosen by its host, or --format). Reads the report job’s report.json. Without NOTIFY_WEBHOOK_URL nothing is ' +
    'sent; a webhook that refuses or does not answer is a warning: notify then still exits 0.',
  examples: [
    'NOTIFY_WEBHOOK_URL=https://hooks.slack.com/services/… npm run notify -- --report artifacts/report',
    'npx tsx scripts/notify.ts --report artifacts/report --environment production --out artifacts/notify',
  ],
  flags: {
    report: {
      type: 'string',
      value: '<dir|file>',
      description: 'the report job’s --out directory, or its report.json',
    },
    environment: {
      type: 'string',
      value: '<name>',
      description: 'the environment the message names (default the report’s target)',
    },
    format: {
      type: 'string',
      value: '<slack|discord>',
      description: 'the webhook’s payload (default: by its host, hooks.slack.com or discord.com)',
    },
    timeout: {
      type: 'string',
      value: '<duration>',
      description: 'how long the webhook may take (default 10s)',
    },
  },
  parse(flags, env) {
    const { report, environment, webhook, timeoutMs } = readFlags({
      report: () => readReport(flags.report),
      environment: () => parseEnvironment(flags.environment),
      format: () => parseFormat(flags.format),
      webhook: () => readWebhook(env.NOTIFY_WEBHOOK_URL, flags.format),
      timeoutMs: () => parseTimeout(flags.timeout),
    });
    return { ...report, environment: environment ?? report.report.target, webhook, timeoutMs };
  },
  run: runNotify,
  render: renderNotifySummary,
  verdict: ({ delivery: d, message }) => {
    if (!d.configured)
      return {
        ok: true,
        headline: 'notifications are not configured (NOTIFY_WEBHOOK_URL is not set): nothing sent',
        problems: [],
        warnings: [
          'NOTIFY_WEBHOOK_URL is not set, so the team was not told: add the secret and pass it to the notify step as env (docs/notify.md)',
        ],
      };
    if (d.delivered)
      return {
        ok: true,
        headline: `sent “${message.title}” to ${sentTo(d)}: HTTP ${d.status}`,
        problems: [],
        warnings: [],
      };
    const why = `${sentTo(d)} ${d.status === null ? 'could not be reached:' : 'answered'} ${d.error}`;
    return {
      ok: true,
      headline: `notification not delivered: ${why}`,
      problems: [],
      warnings: [`the team was not told how this run went: ${why}; the run’s result stands`],
    };
  },
  outputs: ({ delivery: d }) => ({
    configured: d.configured,
    delivered: d.delivered,
    format: d.format ?? '',
    http_status: d.status ?? '',
  }),
};
