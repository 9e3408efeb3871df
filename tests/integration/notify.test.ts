// notify against a real webhook on this machine: an HTTPS server (node:https, a self-signed
// certificate the scripts trust through NODE_EXTRA_CA_CERTS, since notify posts to https only)
// that records every post and answers as Slack (200 ok), Discord (204) or a broken hook (500).
// The webhook's token path must never reach stdout, stderr, notify.json or a summary.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { notifyJob, webhookFormat } from '../../scripts/lib/jobs/notify.ts';
import { discordPayload, notifyMessage, slackPayload } from '../../scripts/lib/report/notify-message.ts';
import { renderNotifySummary } from '../../scripts/lib/report/notify-summary.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import type { NotifyResult } from '../../scripts/lib/results/notify.ts';
import type { RunReport } from '../../scripts/lib/results/report.ts';
import {
  notifyRefused,
  notifySent,
  notifyUnconfigured,
  reportRecord,
  runMigrated,
} from '../fixtures/results/notify.ts';
import { runDryRun, runRolledBack, runSynced } from '../fixtures/results/runs.ts';
import { blackHole } from '../helpers/black-hole.ts';
import { expectGolden } from '../helpers/golden.ts';
import { cleanEnv, runInProcess, runScript, type ScriptRun } from '../helpers/run-script.ts';
import { selfSignedCertificate } from '../helpers/tls-cert.ts';
import { readKeyValues } from '../helpers/workflow/replay.ts';

interface Post {
  method: string;
  path: string;
  contentType: string;
  body: string;
}

// Tokens shaped like the real ones; each must stay out of everything notify prints or writes.
const SLACK_TOKEN = 'Zq8mLkP3vXw9RtY2uH7sJd4N';
const SLACK_PATH = `/services/T0NOTIFY1/B0NOTIFY2/${SLACK_TOKEN}`;
const DISCORD_TOKEN = 'kW3r_x9-Tq7vLmZ2pN8sYb4cHd6fJg1aQe5uRt0oVi3nXy7wMz9lKj2hGf4dSa6_BcE1';
const DISCORD_PATH = `/api/webhooks/1223334444555556666/${DISCORD_TOKEN}`;
const FAILING_PATH = `/fail/T0NOTIFY1/B0NOTIFY2/${SLACK_TOKEN}`;

let tmp: string;
let cert: string;
let server: https.Server;
let base: string;
const posts: Post[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'envsync-notify-'));
  const files = selfSignedCertificate(tmp, 'webhook', '127.0.0.1');
  cert = files.cert;
  server = https.createServer({ key: readFileSync(files.key), cert: readFileSync(cert) }, (req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      const p = req.url ?? '';
      posts.push({ method: req.method ?? '', path: p, contentType: req.headers['content-type'] ?? '', body });
      if (p.startsWith('/fail/')) res.writeHead(500, { 'content-type': 'text/plain' }).end('invalid_payload');
      else if (p.startsWith('/api/webhooks/')) res.writeHead(204).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A report job's --out directory holding `report`'s record. */
function reportDir(report: RunReport | JobRecord<unknown>): string {
  const dir = mkdtempSync(path.join(tmp, 'report-'));
  const record = 'job' in report ? report : reportRecord(report);
  writeFileSync(path.join(dir, 'report.json'), `${JSON.stringify(record, null, 2)}\n`);
  return dir;
}

/** The script's environment: no webhook unless given, and our certificate trusted. */
function notifyEnv(webhook?: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = cleanEnv({ NODE_EXTRA_CA_CERTS: cert, ...extra });
  delete env.NOTIFY_WEBHOOK_URL;
  return webhook === undefined ? env : { ...env, NOTIFY_WEBHOOK_URL: webhook };
}

const outDir = () => mkdtempSync(path.join(tmp, 'out-'));
const record = (out: string) =>
  JSON.parse(readFileSync(path.join(out, 'notify.json'), 'utf8')) as JobRecord<NotifyResult>;
const summary = (out: string) => readFileSync(path.join(out, 'summary.md'), 'utf8');
const pretty = (json: string) => `${JSON.stringify(JSON.parse(json), null, 2)}\n`;

/** Nothing a person or a later job reads holds the webhook's token or path. */
function expectNoToken(texts: string[], ...tokens: string[]): void {
  const all = texts.join('\n');
  for (const t of tokens) expect(all).not.toContain(t);
}

/** The run printed exactly one error line and its hint, and nothing on stdout. */
function expectOneLineError(run: ScriptRun, message: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toMatch(/^hint: /);
}

describe('posting to a webhook', () => {
  test('Slack: the payload posted is the golden one; in Actions the URL is masked first, summary and outputs carry no token', async () => {
    const out = outDir();
    const stepSummary = path.join(tmp, 'step-summary.md');
    const outputs = path.join(tmp, 'github-output.txt');
    writeFileSync(stepSummary, '');
    writeFileSync(outputs, '');
    const before = posts.length;
    const run = await runScript(
      'notify',
      ['--report', reportDir(runRolledBack()), '--format', 'slack', '--out', out],
      notifyEnv(`${base}${SLACK_PATH}`, {
        GITHUB_ACTIONS: 'true',
        GITHUB_STEP_SUMMARY: stepSummary,
        GITHUB_OUTPUT: outputs,
      }),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    // One POST of JSON, to the whole URL, token and all.
    expect(posts.slice(before)).toHaveLength(1);
    const post = posts.at(-1)!;
    expect(post).toMatchObject({ method: 'POST', path: SLACK_PATH, contentType: 'application/json' });
    expectGolden('notify-message.slack.json', pretty(post.body));
    const rec = record(out);
    expect(rec).toMatchObject({ job: 'notify', status: 'ok', exitCode: 0 });
    expect(rec.result!.payload).toEqual(JSON.parse(post.body));
    expect(rec.result!.delivery).toMatchObject({
      configured: true,
      format: 'slack',
      host: new URL(base).host,
      status: 200,
      delivered: true,
      error: null,
    });

    expect(run.stdout).toContain(
      `ok: sent “↩️ Rolled back: staging, after health-check failed” to Slack (${new URL(base).host}): HTTP 200`,
    );
    expect(readFileSync(stepSummary, 'utf8')).toContain(
      `**Sent to Slack (\`${new URL(base).host}\`): HTTP 200`,
    );
    const outputValues = readKeyValues(outputs);
    expect(outputValues).toMatchObject({
      status: 'ok',
      delivered: 'true',
      format: 'slack',
      http_status: '200',
    });

    // The webhook is registered with the runner's mask before anything else is printed; that
    // command (which GitHub consumes) is the only place it appears.
    expect(run.stdout.startsWith('::add-mask::')).toBe(true);
    expect(run.stdout).toContain(`::add-mask::${base}${SLACK_PATH}\n`);
    const printed = run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    expectNoToken(
      [
        ...printed,
        run.stderr,
        JSON.stringify(rec),
        summary(out),
        readFileSync(stepSummary, 'utf8'),
        readFileSync(outputs, 'utf8'),
      ],
      SLACK_TOKEN,
      SLACK_PATH,
    );
  });

  test('Discord: content and one embed, the golden payload, HTTP 204 counts as delivered', async () => {
    const out = outDir();
    const before = posts.length;
    const run = await runScript(
      'notify',
      ['--report', path.join(reportDir(runSynced()), 'report.json'), '--format', 'discord', '--out', out],
      notifyEnv(`${base}${DISCORD_PATH}`),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(posts.slice(before)).toHaveLength(1);
    const post = posts.at(-1)!;
    expect(post).toMatchObject({ method: 'POST', path: DISCORD_PATH, contentType: 'application/json' });
    expectGolden('notify-message.discord.json', pretty(post.body));
    const body = JSON.parse(post.body);
    expect(body.embeds[0]).toMatchObject({
      title: 'envsync dev → staging (replica)',
      url: 'https://github.com/example/hotel-app/actions/runs/1234567890',
      color: 0x2eb67d,
    });
    const rec = record(out);
    expect(rec.result!.delivery).toMatchObject({ format: 'discord', status: 204, delivered: true });
    expect(rec.result!.payload).toEqual(body);
    expectNoToken(
      [run.stdout, run.stderr, JSON.stringify(rec), summary(out)],
      DISCORD_TOKEN,
      DISCORD_PATH,
      '1223334444555556666',
    );
  });

  test('a webhook answering 500: exit 0, a warning naming the status and its answer, delivered false', async () => {
    const out = outDir();
    const before = posts.length;
    const run = await runScript(
      'notify',
      ['--report', reportDir(runSynced()), '--format', 'slack', '--out', out],
      notifyEnv(`${base}${FAILING_PATH}`),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    // It was sent; it was refused.
    expect(posts.slice(before).map((p) => p.path)).toEqual([FAILING_PATH]);
    const host = new URL(base).host;
    expect(run.stdout).toContain(
      `ok: notification not delivered: Slack (${host}) answered HTTP 500: invalid_payload\n`,
    );
    expect(run.stdout).toContain(
      `warning: the team was not told how this run went: Slack (${host}) answered HTTP 500: invalid_payload; the run’s result stands\n`,
    );
    const rec = record(out);
    expect(rec).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(rec.result!.delivery).toMatchObject({
      status: 500,
      delivered: false,
      error: 'HTTP 500: invalid_payload',
    });
    expect(summary(out)).toContain(
      `**Not delivered: Slack (\`${host}\`) answered HTTP 500: invalid_payload.**`,
    );
    expectNoToken([run.stdout, JSON.stringify(rec), summary(out)], SLACK_TOKEN, FAILING_PATH);
  });

  test('an unreachable webhook: exit 0, a warning naming the error, not the URL', async () => {
    // A port nothing listens on: taken, then freed.
    const free = https.createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', () => resolve()));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const out = outDir();
    const run = await runInProcess(
      notifyJob,
      ['--report', reportDir(runSynced()), '--format', 'slack', '--out', out],
      notifyEnv(`https://127.0.0.1:${port}${SLACK_PATH}`),
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^warning: the team was not told how this run went: Slack \\(127\\.0\\.0\\.1:${port}\\) could not be reached: connect ECONNREFUSED`,
        'm',
      ),
    );
    const rec = record(out);
    expect(rec.result!.delivery).toMatchObject({ status: null, delivered: false });
    expect(rec.result!.delivery.error).toContain('ECONNREFUSED');
    expectNoToken([run.stdout, run.stderr, JSON.stringify(rec), summary(out)], SLACK_TOKEN, SLACK_PATH);
  });

  test('a webhook that never answers: given up after --timeout, exit 0 with a warning', async () => {
    const hole = await blackHole();
    try {
      const out = outDir();
      const run = await runInProcess(
        notifyJob,
        ['--report', reportDir(runSynced()), '--format', 'discord', '--timeout', '500ms', '--out', out],
        notifyEnv(`https://127.0.0.1:${hole.port}${DISCORD_PATH}`),
      );
      expect(run.code).toBe(0);
      expect(hole.accepted()).toBeGreaterThan(0);
      expect(run.stdout).toContain(`could not be reached: no answer within 500 ms; the run’s result stands`);
      expect(record(out).result!.delivery).toMatchObject({
        delivered: false,
        error: 'no answer within 500 ms',
      });
      expectNoToken([run.stdout, run.stderr, JSON.stringify(record(out))], DISCORD_TOKEN);
    } finally {
      await hole.close();
    }
  });
});

describe('nothing sent', () => {
  test.each([
    ['unset', undefined],
    ['empty (an unset GitHub secret)', ''],
  ])(
    'NOTIFY_WEBHOOK_URL %s: exit 0, the headline says notifications are not configured',
    async (_, value) => {
      const out = outDir();
      const before = posts.length;
      const run = await runInProcess(
        notifyJob,
        ['--report', reportDir(runRolledBack()), '--out', out],
        notifyEnv(value),
      );
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(
        /^ok: notifications are not configured \(NOTIFY_WEBHOOK_URL is not set\): nothing sent\nwarning: NOTIFY_WEBHOOK_URL is not set/,
      );
      expect(posts.length).toBe(before);
      const rec = record(out);
      expect(rec.result!.delivery).toMatchObject({ configured: false, delivered: false, status: null });
      expect(rec.result!.payload).toBeNull();
      // The message it would have sent is still in the summary.
      expect(summary(out)).toContain('**Notifications are not configured: nothing was sent.**');
      expect(summary(out)).toContain('**↩️ Rolled back: staging, after health-check failed**');
    },
  );

  test.each([
    ['no scheme', `hooks.slack.com${SLACK_PATH}`, /^error: NOTIFY_WEBHOOK_URL is not a URL$/],
    [
      'plain http',
      `http://127.0.0.1:9${SLACK_PATH}`,
      /^error: NOTIFY_WEBHOOK_URL is not an https URL \(it starts http:\)$/,
    ],
    ['spaces', `https://hooks slack.com${SLACK_PATH}`, /^error: NOTIFY_WEBHOOK_URL is not a URL$/],
  ])(
    'a malformed webhook URL (%s): exit 2, one line that does not repeat it, nothing sent',
    async (_, url, message) => {
      const before = posts.length;
      const out = outDir();
      const run = await runInProcess(
        notifyJob,
        ['--report', reportDir(runSynced()), '--out', out],
        notifyEnv(url),
      );
      expectOneLineError(run, message);
      expect(posts.length).toBe(before);
      expect(record(out)).toMatchObject({ status: 'error', exitCode: 2 });
      expectNoToken([run.stderr, JSON.stringify(record(out)), summary(out)], SLACK_TOKEN);
    },
  );

  test('a webhook on another host without --format: exit 2 naming what notify recognises, nothing sent', async () => {
    const before = posts.length;
    const run = await runInProcess(
      notifyJob,
      ['--report', reportDir(runSynced())],
      notifyEnv(`${base}/hooks/${SLACK_TOKEN}`),
    );
    expectOneLineError(
      run,
      /^error: NOTIFY_WEBHOOK_URL \(host 127\.0\.0\.1:\d+\) is neither a Slack nor a Discord webhook address$/,
    );
    expect(run.stderr).toContain('https://hooks.slack.com/services/…');
    expect(run.stderr).toContain('--format slack|discord');
    expect(run.stderr).not.toContain(SLACK_TOKEN);
    expect(posts.length).toBe(before);
  });

  test('every bad flag at once: report, format, timeout', async () => {
    const run = await runInProcess(
      notifyJob,
      ['--report', path.join(tmp, 'no-such-dir'), '--format', 'teams', '--timeout', '0'],
      notifyEnv(`${base}${SLACK_PATH}`),
    );
    expectOneLineError(
      run,
      /^error: .*no-such-dir does not exist; --format teams is not one of slack, discord; --timeout 0 is not above zero$/,
    );
  });

  test.each([
    [
      'no report.json in the directory',
      () => mkdtempSync(path.join(tmp, 'empty-')),
      /report\.json does not exist$/,
    ],
    [
      'another job’s record',
      () => reportDir({ ...reportRecord(runSynced()), job: 'health-check' }),
      /is not the report job’s record \(it is health-check’s\)$/,
    ],
    [
      'the report job’s error record',
      () =>
        reportDir({
          ...reportRecord(runSynced()),
          status: 'error',
          exitCode: 2,
          result: undefined,
          error: { message: '--needs is not JSON', hint: '…' },
        }),
      /holds no report: the report job ended with an error \(--needs is not JSON\)$/,
    ],
    [
      'a report without its outcome',
      () => reportDir({ ...reportRecord(runSynced()), result: { target: 'staging', jobs: [] } }),
      /is not a report notify can read: source, mode, ok, dryRun, failedJob, rolledBack, runUrl, totalMs missing or malformed$/,
    ],
    [
      'not JSON',
      () => {
        const dir = mkdtempSync(path.join(tmp, 'garbled-'));
        writeFileSync(path.join(dir, 'report.json'), '{"job": "report", ');
        return dir;
      },
      /report\.json is not valid JSON$/,
    ],
  ])('--report with %s: exit 2, one line', async (_, dir, message) => {
    const run = await runInProcess(notifyJob, ['--report', dir()], notifyEnv());
    expectOneLineError(run, message);
  });
});

describe('the message', () => {
  test('the format follows the webhook’s host', () => {
    const format = (u: string) => webhookFormat(new URL(u));
    expect(format(`https://hooks.slack.com${SLACK_PATH}`)).toBe('slack');
    expect(format(`https://discord.com${DISCORD_PATH}`)).toBe('discord');
    expect(format(`https://discordapp.com${DISCORD_PATH}`)).toBe('discord');
    // Discord's host alone is not a webhook; neither is a look-alike host.
    expect(format('https://discord.com/channels/1/2')).toBeUndefined();
    expect(format(`https://hooks.slack.com.evil.example${SLACK_PATH}`)).toBeUndefined();
    expect(format(`https://evil.example/hooks.slack.com${SLACK_PATH}`)).toBeUndefined();
  });

  test('each outcome has its own title, and what changed comes from the report’s fields', () => {
    const title = (r: RunReport, env?: string) => notifyMessage(r, env).title;
    expect(title(runSynced())).toBe('✅ Succeeded: staging');
    expect(title(runDryRun())).toBe('☑️ Dry run: staging, nothing changed');
    expect(title({ ...runSynced(), ok: false, failedJob: 'sync', synced: null })).toBe(
      '❌ Failed: staging, at sync',
    );
    expect(title(runRolledBack())).toBe('↩️ Rolled back: staging, after health-check failed');
    expect(title({ ...runRolledBack(), rolledBack: false }, 'production')).toBe(
      '🚨 Rollback failed: production, after health-check failed',
    );
    const facts = (r: RunReport) => Object.fromEntries(notifyMessage(r).facts.map((f) => [f.label, f.text]));
    expect(facts(runSynced())).toEqual({
      Changed: '58,726 rows in 6 tables synced from dev',
      Duration: '1 min 50 s',
    });
    expect(facts(runMigrated()).Changed).toBe('3 migrations applied');
    expect(facts({ ...runMigrated(), dryRun: true, migrated: { applied: 1 } }).Changed).toBe(
      '1 migration rehearsed and rolled back',
    );
    expect(facts(runDryRun()).Changed).toBe('nothing (dry run)');
    expect(facts({ ...runRolledBack(), rolledBack: false }).Rollback).toMatch(
      /^FAILED: restore staging by hand/,
    );
  });

  test('text from the run cannot mention anyone or break a link', () => {
    const r: RunReport = {
      ...runRolledBack(),
      jobs: runRolledBack().jobs.map((j) =>
        j.job === 'health-check'
          ? { ...j, headline: 'probe <!channel> & @everyone [x](https://evil.example)' }
          : j,
      ),
    };
    const m = notifyMessage(r);
    expect(slackPayload(m).text).toContain('probe &lt;!channel&gt; &amp; @everyone');
    const discord = discordPayload(m);
    expect(discord.allowed_mentions).toEqual({ parse: [] });
    expect(discord.embeds[0]!.description).toContain('\\[x\\]\\(https://evil.example\\)');
    // A run URL that is not a plain https link is shown as text, not linked.
    const odd = notifyMessage({ ...runSynced(), runUrl: 'https://x.example/a|b' });
    expect(slackPayload(odd).text).not.toContain('<https://x.example');
    expect(discordPayload(odd).embeds[0]).not.toHaveProperty('url');
  });

  test('--environment names the environment; the report’s target is the default', async () => {
    const dir = reportDir(runMigrated());
    const environmentOf = async (args: string[]) => {
      const out = outDir();
      const run = await runInProcess(notifyJob, ['--report', dir, ...args, '--out', out], notifyEnv());
      expect(run.code).toBe(0);
      return record(out).result!.message;
    };
    expect(await environmentOf([])).toMatchObject({ environment: 'staging', title: '✅ Succeeded: staging' });
    expect(await environmentOf(['--environment', 'production'])).toMatchObject({
      environment: 'production',
      title: '✅ Succeeded: production',
    });
  });
});

describe('summary', () => {
  test.each([
    ['sent', notifySent],
    ['refused', notifyRefused],
    ['unconfigured', notifyUnconfigured],
  ])('%s', (name, result) => {
    const md = renderNotifySummary(result());
    expectGolden(`notify-summary.${name}.md`, md);
  });

  test('leads with whether the team was told, then the message', () => {
    const md = renderNotifySummary(notifyRefused());
    expect(md).toContain('**Not delivered: Discord (`discord.com`) answered HTTP 401');
    expect(md.indexOf('Not delivered')).toBeLessThan(md.indexOf('### The message'));
    expect(renderNotifySummary(notifyUnconfigured())).toContain('### The message (not sent)');
  });
});
