// pr-comment: a plan on its pull request, as one comment that is updated, never duplicated —
// the production plan (pending migrations with their lint, drift, content, the hash) on a pull
// request into main, the lint findings on one into staging. It reads the conversation first,
// finds our comment by its marker (and its author, when GitHub names the token's user), and
// writes only when the text differs; --dry-run prints the request and sends none.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError, readFlags } from '../base/errors.ts';
import type { ParsedFlags } from '../base/flags.ts';
import { readJsonFile } from '../base/json-file.ts';
import {
  DEFAULT_API_URL,
  describeApiError,
  GitHubApiError,
  GitHubClient,
  parseApiUrl,
  parseRepo,
  type RepoRef,
  repoName,
  requireToken,
} from '../github/client.ts';
import {
  type CommentWrite,
  listComments,
  planCommentWrite,
  planMarker,
  tokenUser,
} from '../github/plan-comment.ts';
import { renderPlanComment, renderPrCommentSummary } from '../report/pr-comment-summary.ts';
import type { CommentedPlan, PrCommentResult } from '../results/pr-comment.ts';
import type { Job, JobContext, Logger } from './runner.ts';

export interface PrCommentOptions {
  /** The --plan directory, and the record read from it. */
  planDir: string;
  plan: CommentedPlan;
  pr: number;
  /** The branch the pull request merges into (from the event), else null. */
  base: string | null;
  repo: RepoRef;
  apiUrl: string;
  token: string;
  dryRun: boolean;
  /** The link to this workflow run, when it runs in one. */
  runUrl: string | null;
  /** Masked in every output. */
  secrets: string[];
}

export async function runPrComment(ctx: JobContext, o: PrCommentOptions): Promise<PrCommentResult> {
  const started = ctx.now().getTime();
  const api = new GitHubClient(o.apiUrl, o.token, ctx.log, 'pr-comment');
  const marker = planMarker(markerKey(o));
  const { body, truncated } = renderPlanComment(o.plan, { marker, base: o.base, runUrl: o.runUrl });
  const { author, comments } = await readConversation(api, o);
  const write = planCommentWrite(o.repo, o.pr, comments, marker, author, body);
  printPlan(ctx.log, o, marker, comments.length, author, write);
  const comment = await sendWrite(ctx.log, api, o, write);
  return {
    repo: repoName(o.repo),
    pr: o.pr,
    apiUrl: o.apiUrl,
    plan: { dir: o.planDir, job: o.plan.job, status: o.plan.record.status },
    marker,
    dryRun: o.dryRun,
    action: write.action,
    request: write.request && { method: write.request.method, path: write.request.path },
    sent: !o.dryRun && write.request !== null,
    comment,
    author,
    commentsRead: comments.length,
    otherMarked: write.otherMarked,
    truncated,
    body,
    reads: api.reads,
    durationMs: ctx.now().getTime() - started,
  };
}

/** The comment's key: the branch merged into; else the branch a lint compared with; else production. */
function markerKey(o: PrCommentOptions): string {
  if (o.base) return o.base;
  const lintBase = o.plan.job === 'lint-migrations' ? o.plan.record.result?.base?.ref : undefined;
  return lintBase?.replace(/^(refs\/remotes\/)?origin\//, '') || 'production';
}

/** Who the token's user is (when GitHub says), then every comment of the pull request. */
async function readConversation(api: GitHubClient, o: PrCommentOptions) {
  try {
    const author = await tokenUser(api);
    return { author, comments: await listComments(api, o.repo, o.pr) };
  } catch (error) {
    throw error instanceof GitHubApiError ? describeApiError(error, o.repo, []) : error;
  }
}

function printPlan(
  log: Logger,
  o: PrCommentOptions,
  marker: string,
  read: number,
  author: string | null,
  w: CommentWrite,
): void {
  const where = `${repoName(o.repo)}#${o.pr}`;
  const by = author ? `by ${author}` : 'by anyone (GitHub does not name this token’s user)';
  log.info(`${where}: ${read} comment(s) read; ours: the oldest that starts with ${marker}, ${by}`);
  if (!w.request) {
    log.info(`comment ${w.found!.id} already says this plan: nothing to send`);
    return;
  }
  const what = w.action === 'create' ? 'create the plan comment' : `update comment ${w.found!.id}`;
  if (!o.dryRun) {
    // The text itself is in summary.md and pr-comment.json; the log keeps to the request.
    log.info(`${w.request.method} ${w.request.path}  # ${what} (${w.request.body.body.length} characters)`);
    return;
  }
  log.info(`dry run: the request it would send to ${o.apiUrl} (none is sent):`);
  log.info(`  ${w.request.method} ${w.request.path}  # ${what}`);
  log.info(`    ${JSON.stringify(w.request.body)}`);
}

/** The one write (none on a dry run or when unchanged); the comment as it is afterwards. */
async function sendWrite(
  log: Logger,
  api: GitHubClient,
  o: PrCommentOptions,
  w: CommentWrite,
): Promise<PrCommentResult['comment']> {
  const found = w.found && { id: w.found.id, url: w.found.url };
  if (!w.request || o.dryRun) return found;
  try {
    const { status, data } = await api.writeReturning<{ id: number; html_url: string }>(w.request);
    log.info(`sent ${w.request.method} ${w.request.path} (${status}): ${data.html_url}`);
    return { id: data.id, url: data.html_url };
  } catch (error) {
    throw error instanceof GitHubApiError ? describeApiError(error, o.repo, []) : error;
  }
}

// ---- flags ----

const PLAN_HINT = 'give the --out directory of a production-plan or lint-migrations run (its artifact)';

/** The fields a renderer reads, by job: a record without them is not that job's. */
const RESULT_FIELDS: Record<CommentedPlan['job'], Record<string, 'string' | 'object' | 'array'>> = {
  'production-plan': {
    hash: 'string',
    target: 'object',
    pending: 'array',
    migrationProblems: 'array',
    drift: 'object',
    refused: 'array',
  },
  'lint-migrations': { dir: 'string', counts: 'object', findings: 'array', skipped: 'array' },
};

const kindOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** The record in --plan: production-plan.json, else lint-migrations.json. */
function readPlan(value: unknown): { planDir: string; plan: CommentedPlan } {
  if (typeof value !== 'string' || !value.trim()) throw new InputError('--plan is required', PLAN_HINT);
  if (!existsSync(value)) throw new InputError(`--plan ${value} does not exist`, PLAN_HINT);
  const job = (['production-plan', 'lint-migrations'] as const).find((j) =>
    existsSync(path.join(value, `${j}.json`)),
  );
  if (!job)
    throw new InputError(`${value} holds neither production-plan.json nor lint-migrations.json`, PLAN_HINT);
  const file = path.join(value, `${job}.json`);
  const record = readJsonFile(file, PLAN_HINT) as Record<string, unknown> | null;
  const result = record?.result as Record<string, unknown> | undefined;
  const error = record?.error as { message?: unknown } | undefined;
  const shaped = result
    ? Object.entries(RESULT_FIELDS[job]).every(([k, kind]) => kindOf(result[k]) === kind)
    : typeof error?.message === 'string';
  if (
    kindOf(record) !== 'object' ||
    record!.job !== job ||
    !['ok', 'failed', 'error'].includes(String(record!.status)) ||
    !shaped
  )
    throw new InputError(`${file} is not a ${job} record`, PLAN_HINT);
  return { planDir: value, plan: { job, record } as unknown as CommentedPlan };
}

const EVENT_HINT = 'GITHUB_EVENT_PATH names the event’s JSON file (GitHub Actions sets it); or give --pr';

/** The pull request of the run's event (GITHUB_EVENT_PATH → pull_request); null for another event. */
function eventPullRequest(env: NodeJS.ProcessEnv): { pr: number; base: string | null } | null {
  if (!env.GITHUB_EVENT_PATH) return null;
  const event = readJsonFile(env.GITHUB_EVENT_PATH, EVENT_HINT) as {
    pull_request?: { number?: unknown; base?: { ref?: unknown } };
  } | null;
  const pr = event?.pull_request;
  if (!pr || !Number.isSafeInteger(pr.number) || (pr.number as number) < 1) return null;
  const base = typeof pr.base?.ref === 'string' ? pr.base.ref : env.GITHUB_BASE_REF || null;
  return { pr: pr.number as number, base };
}

/** --pr, else the event's pull request; its base branch when the event is about that pull request. */
function pullRequest(flag: unknown, env: NodeJS.ProcessEnv): { pr: number; base: string | null } {
  const event = eventPullRequest(env);
  if (typeof flag === 'string') {
    if (!/^[1-9]\d{0,9}$/.test(flag.trim()))
      throw new InputError(`--pr ${flag} is not a pull request number`, 'give its number: --pr 7');
    const pr = Number(flag.trim());
    return { pr, base: event?.pr === pr ? event.base : null };
  }
  if (event) return event;
  throw new InputError(
    env.GITHUB_EVENT_PATH
      ? `--pr is required: this run's event (${env.GITHUB_EVENT_NAME || 'GITHUB_EVENT_PATH'}) is not a pull request's`
      : '--pr is required',
    'give the pull request’s number: --pr 7 (a workflow run by pull_request needs none: it is read from GITHUB_EVENT_PATH)',
  );
}

/** --repo, else the workflow run's repository. */
function repository(flag: unknown, env: NodeJS.ProcessEnv): RepoRef {
  if (flag === undefined && !env.GITHUB_REPOSITORY)
    throw new InputError(
      '--repo is required',
      'name the repository as owner/name: --repo acme/shop (a workflow run sets GITHUB_REPOSITORY)',
    );
  return parseRepo(flag ?? env.GITHUB_REPOSITORY);
}

/** This workflow run's page, when it runs in one. */
function runUrl(env: NodeJS.ProcessEnv): string | null {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  if (!server || !repo || !run || !/^https?:\/\//.test(server) || !/^\d+$/.test(run)) return null;
  return `${server.replace(/\/+$/, '')}/${repo}/actions/runs/${run}`;
}

export const prCommentJob: Job<PrCommentOptions, PrCommentResult> = {
  name: 'pr-comment',
  description:
    'Puts a plan on its pull request as ONE comment, updated on every run and never duplicated: the ' +
    'production plan (pending migrations with their lint findings, drift, content changes, the hash) from a ' +
    'production-plan run, or the lint findings from a lint-migrations run. Reads the conversation first and ' +
    'finds its comment by a marker line (<!-- envsync:plan:<base branch> -->) and, when GitHub names the ' +
    'token’s user, by its author; writes only when the text differs. The token comes from GITHUB_TOKEN ' +
    '(Pull requests: write).',
  examples: [
    'GITHUB_TOKEN=… npm run pr-comment -- --plan artifacts/plan --repo acme/shop --pr 7 --dry-run',
    'npx tsx scripts/pr-comment.ts --plan artifacts/plan   # in a pull_request workflow: PR and repository from the event',
  ],
  flags: {
    plan: {
      type: 'string',
      value: '<dir>',
      description: 'the --out of a production-plan or lint-migrations run',
    },
    pr: {
      type: 'string',
      value: '<number>',
      description: 'the pull request (default: the event’s, from GITHUB_EVENT_PATH)',
    },
    repo: {
      type: 'string',
      value: '<owner/name>',
      description: 'the repository (default GITHUB_REPOSITORY)',
    },
    'api-url': {
      type: 'string',
      value: '<url>',
      description: `the REST API (default GITHUB_API_URL, else ${DEFAULT_API_URL})`,
    },
    'dry-run': { type: 'boolean', description: 'read, then print the request it would send; send none' },
  },
  parse: (flags: ParsedFlags, env) => {
    const o = readFlags({
      plan: () => readPlan(flags.plan),
      target: () => pullRequest(flags.pr, env),
      repo: () => repository(flags.repo, env),
      apiUrl: () => parseApiUrl(flags['api-url'], env),
      token: () =>
        requireToken(
          env,
          'set GITHUB_TOKEN to a token with the repository permission "Pull requests: write" (classic: repo, or public_repo for a public repository); in a workflow: the job’s own token (github.token) with permissions: pull-requests: write; see docs/pr-comment.md',
        ),
    });
    return {
      ...o.plan,
      ...o.target,
      repo: o.repo,
      apiUrl: o.apiUrl,
      token: o.token,
      dryRun: flags['dry-run'] === true,
      runUrl: runUrl(env),
      secrets: [o.token],
    };
  },
  run: runPrComment,
  render: renderPrCommentSummary,
  verdict: (r) => {
    const where = `${r.repo}#${r.pr}`;
    const request = r.request ? `${r.request.method} ${r.request.path}` : '';
    return {
      ok: true,
      headline: r.dryRun
        ? r.request
          ? `dry run: ${where} would get its plan comment ${r.action === 'create' ? 'created' : 'updated'} (${request}); nothing was sent`
          : `dry run: ${where}'s plan comment already says this; nothing would be sent`
        : r.action === 'unchanged'
          ? `${where}: the plan comment already says this — nothing sent (${r.comment!.url})`
          : `${where}: plan comment ${r.action === 'create' ? 'created' : 'updated'} — ${r.comment!.url}`,
      problems: [],
      warnings: [
        ...(r.truncated
          ? [
              `the plan was cut to the ${r.body.length} characters a comment holds; the whole plan is in the run's summary`,
            ]
          : []),
        ...(r.otherMarked
          ? [`${r.otherMarked} more comment(s) on ${where} start with ${r.marker}: left as they are`]
          : []),
      ],
    };
  },
  outputs: (r) => ({
    action: r.action,
    sent: r.sent,
    comment_id: r.comment?.id ?? '',
    comment_url: r.comment?.url ?? '',
    dry_run: r.dryRun,
  }),
};
