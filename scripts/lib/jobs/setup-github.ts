// setup-github: makes a repository's GitHub settings what the pipeline relies on — the
// environments dev, staging, production-plan and production (deployment branches, production's
// reviewers) and the protection of dev, staging and main — through GitHub's REST API. It reads
// everything first and writes only what differs; --dry-run prints the writes and sends none.

import { InputError, readFlags } from '../base/errors.ts';
import type { ParsedFlags } from '../base/flags.ts';
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
import { readCurrentSettings, readRepository } from '../github/current-settings.ts';
import { BRANCHES, ENVIRONMENTS } from '../github/repository-settings.ts';
import { parseReviewers, type ReviewerSpec, resolveReviewers } from '../github/reviewers.ts';
import { planSettings, type SettingsPlan } from '../github/settings-plan.ts';
import { renderSetupGitHubSummary } from '../report/setup-github-summary.ts';
import type { GitHubWrite, SetupGitHubResult } from '../results/setup-github.ts';
import type { Job, JobContext, Logger } from './runner.ts';

export interface SetupGitHubOptions {
  repo: RepoRef;
  apiUrl: string;
  token: string;
  dryRun: boolean;
  /** null: production keeps the reviewers it has. */
  reviewers: ReviewerSpec[] | null;
  /** Masked in every output. */
  secrets: string[];
}

export async function runSetupGitHub(ctx: JobContext, o: SetupGitHubOptions): Promise<SetupGitHubResult> {
  const started = ctx.now().getTime();
  const api = new GitHubClient(o.apiUrl, o.token, ctx.log);
  const plan = await readAndPlan(api, o).catch((error: unknown) => {
    throw error instanceof GitHubApiError ? describeApiError(error, o.repo, []) : error;
  });
  printPlan(ctx.log, o, plan);
  const outcome = o.dryRun ? { sent: 0, failed: null } : await sendWrites(ctx.log, api, o.repo, plan.writes);
  return {
    repo: repoName(o.repo),
    apiUrl: o.apiUrl,
    dryRun: o.dryRun,
    settings: plan.settings,
    writes: plan.writes,
    ...outcome,
    reads: api.reads,
    notes: plan.notes,
    durationMs: ctx.now().getTime() - started,
  };
}

/** Everything read (the token's rights checked on the repository first), then the writes planned. */
async function readAndPlan(api: GitHubClient, o: SetupGitHubOptions): Promise<SettingsPlan> {
  const repository = await readRepository(api, o.repo);
  const reviewers = o.reviewers
    ? await resolveReviewers(api, o.repo, repository.ownerIsOrganization, o.reviewers)
    : null;
  const current = await readCurrentSettings(api, o.repo, ENVIRONMENTS, BRANCHES);
  return planSettings(o.repo, { environments: ENVIRONMENTS, branches: BRANCHES, reviewers }, current);
}

function printPlan(log: Logger, o: SetupGitHubOptions, plan: SettingsPlan): void {
  for (const s of plan.settings) {
    const what = s.action === 'update' ? `update (${s.changes.join('; ')})` : s.action;
    log.info(`${s.kind} ${s.name}: ${what}`);
  }
  if (!plan.writes.length) return;
  log.info(
    o.dryRun
      ? `dry run: ${plan.writes.length} write request(s) it would send to ${o.apiUrl} (none is sent):`
      : `${plan.writes.length} write request(s) to ${o.apiUrl}:`,
  );
  for (const w of plan.writes) {
    log.info(`  ${w.method} ${w.path}  # ${w.reason}`);
    if (w.body !== null) log.info(`    ${JSON.stringify(w.body)}`);
  }
}

/**
 * One write at a time, in order. A refusal for rights stops everything as bad input (exit 2,
 * naming the permission); any other failure stops the writes and is reported in the result.
 */
async function sendWrites(
  log: Logger,
  api: GitHubClient,
  repo: RepoRef,
  writes: GitHubWrite[],
): Promise<Pick<SetupGitHubResult, 'sent' | 'failed'>> {
  const sent: string[] = [];
  for (const [index, w] of writes.entries()) {
    try {
      const status = await api.write(w);
      sent.push(`${w.method} ${w.path}`);
      log.info(`sent ${w.method} ${w.path} (${status})`);
    } catch (error) {
      if (!(error instanceof GitHubApiError)) throw error;
      const described = describeApiError(error, repo, sent);
      if (described instanceof InputError) throw described;
      return { sent: sent.length, failed: { index, status: error.status, message: described.message } };
    }
  }
  return { sent: sent.length, failed: null };
}

/** `environments staging, production; branch protection of main`. */
function describeSettings(settings: SetupGitHubResult['settings']): string {
  const names = (kind: string) => settings.filter((s) => s.kind === kind).map((s) => s.name);
  const environments = names('environment');
  const branches = names('branch protection');
  return [
    environments.length ? `environment${environments.length > 1 ? 's' : ''} ${environments.join(', ')}` : '',
    branches.length ? `branch protection of ${branches.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

export const setupGitHubJob: Job<SetupGitHubOptions, SetupGitHubResult> = {
  name: 'setup-github',
  description:
    'Creates or updates, through the GitHub REST API, what the pipeline relies on: the environments dev, ' +
    'staging, production-plan and production (deployment branches; production’s required reviewers) and the ' +
    'branch protection of dev, staging and main (required checks from .github/workflows, pull requests, one ' +
    'approval and linear history on main). Reads the current settings first and writes only what differs; ' +
    'a second run writes nothing. The token comes from GITHUB_TOKEN (a repository admin’s).',
  examples: [
    'GITHUB_TOKEN=… npm run setup-github -- --repo acme/shop --reviewers alice,team:ops --dry-run',
    'GITHUB_TOKEN=… npm run setup-github -- --repo acme/shop --reviewers alice,team:ops',
  ],
  flags: {
    repo: { type: 'string', value: '<owner/name>', description: 'the repository to set up' },
    reviewers: {
      type: 'string',
      value: '<login,…|team:slug>',
      description: 'who approves production deployments (default: the reviewers production has)',
    },
    'dry-run': { type: 'boolean', description: 'read, then print every write it would send; send none' },
    'api-url': {
      type: 'string',
      value: '<url>',
      description: `the REST API (default GITHUB_API_URL, else ${DEFAULT_API_URL})`,
    },
  },
  parse: (flags: ParsedFlags, env) => {
    const o = readFlags({
      repo: () => parseRepo(flags.repo),
      apiUrl: () => parseApiUrl(flags['api-url'], env),
      token: () =>
        requireToken(
          env,
          'set GITHUB_TOKEN to a token of a repository admin with the repository permission "Administration: read and write" (classic: the repo scope); see docs/setup-github.md',
        ),
      reviewers: () => (typeof flags.reviewers === 'string' ? parseReviewers(flags.reviewers) : null),
    });
    return { ...o, dryRun: flags['dry-run'] === true, secrets: [o.token] };
  },
  run: runSetupGitHub,
  render: renderSetupGitHubSummary,
  verdict: (r) => {
    const changed = describeSettings(r.settings.filter((s) => s.action !== 'unchanged'));
    const failedWrite = r.failed ? r.writes[r.failed.index] : undefined;
    return {
      ok: r.failed === null,
      headline: failedWrite
        ? `${r.repo}: GitHub failed ${failedWrite.method} ${failedWrite.path}; ${r.sent} of ${r.writes.length} write(s) applied before it`
        : !r.writes.length
          ? `${r.repo} is already set up: nothing to change`
          : r.dryRun
            ? `dry run: ${r.repo} needs ${r.writes.length} write(s) to ${changed}; nothing was sent`
            : `${r.repo} set up: ${r.sent} write(s) to ${changed}`,
      problems: r.failed ? [r.failed.message] : [],
      warnings: r.notes,
    };
  },
  outputs: (r) => ({ writes: r.writes.length, sent: r.sent, dry_run: r.dryRun }),
};
