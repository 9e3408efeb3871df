// pr-comment against a real HTTP server on localhost that plays a pull request's conversation
// on GitHub: it keeps the comments, answers the reads page by page, applies the writes, so a
// second run sees what the first one wrote. Every request is held to GitHub's published OpenAPI
// description, and the fake's answers that the job reads to their response schemas
// (tests/helpers/github-api.ts). The plans are the fixtures' results, written as the runner
// writes a `<job>.json`.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prCommentJob } from '../../scripts/lib/jobs/pr-comment.ts';
import type { PrCommentResult } from '../../scripts/lib/results/pr-comment.ts';
import type { ProductionPlanResult } from '../../scripts/lib/results/production-plan.ts';
import { lintFailed } from '../fixtures/results/lint-migrations.ts';
import {
  lintRecord,
  planDir,
  productionPlanError,
  productionPlanRecord,
} from '../fixtures/results/pr-comment.ts';
import { productionPlanned } from '../fixtures/results/production-plan.ts';
import {
  errorAndHint,
  expectTokenKept,
  FakeGitHubServer,
  type FakeRequest,
  jobArtifacts,
  methodAndPath,
  type RunAgainstFake,
  runAgainst,
  startForSuite,
  tokenEnv,
  withFake,
} from '../helpers/github-api.ts';
import { expectGolden } from '../helpers/golden.ts';
import { cleanEnv, runInProcess, runScript } from '../helpers/run-script.ts';

// ---- a pull request's conversation on a fake GitHub ----

interface FakeComment {
  id: number;
  body: string;
  login: string;
  type: 'User' | 'Bot';
  updatedAt: string;
}

const PR = 7;
/** What GitHub says to GET /user for a workflow's GITHUB_TOKEN (an app installation's token). */
const INTEGRATION = 'Resource not accessible by integration';

class FakeConversation extends FakeGitHubServer {
  readonly comments: FakeComment[] = [];
  /** The token's user; null: a workflow's GITHUB_TOKEN, whose comments are github-actions[bot]'s. */
  tokenUser: string | null = 'envsync-bot';
  private nextId = 100;
  private clock = 0;
  // Every answer the job reads a comment from: in full, as GitHub's description has them.
  protected readonly shapesChecked = new Set([
    'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
    'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
    'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
  ]);

  /** A comment already there, as someone wrote it. */
  seed(login: string, body: string, type: FakeComment['type'] = 'User'): FakeComment {
    const c = { id: this.nextId++, body, login, type, updatedAt: this.tick() };
    this.comments.push(c);
    return c;
  }

  private tick(): string {
    return new Date(Date.UTC(2026, 0, 1) + 1000 * this.clock++).toISOString().replace('.000', '');
  }

  private get author(): { login: string; type: FakeComment['type'] } {
    return this.tokenUser
      ? { login: this.tokenUser, type: 'User' }
      : { login: 'github-actions[bot]', type: 'Bot' };
  }

  protected route({ method, url, parts, body, send, notFound }: FakeRequest): boolean {
    if (parts.length === 1 && parts[0] === 'user' && method === 'GET') {
      if (!this.tokenUser)
        return send(403, { message: INTEGRATION, documentation_url: 'https://docs.github.com/rest' });
      return send(200, { ...this.user(this.tokenUser, 3001, 'User'), user_view_type: 'public' });
    }
    const [root, owner, repo, area, number, sub] = parts;
    if (root !== 'repos' || owner !== 'acme' || repo !== 'shop' || area !== 'issues') return notFound();
    if (sub === 'comments' && parts.length === 6 && number === String(PR)) {
      if (method === 'GET') {
        const page = Number(url.searchParams.get('page') ?? 1);
        const perPage = Number(url.searchParams.get('per_page') ?? 30);
        return send(
          200,
          this.comments.slice((page - 1) * perPage, page * perPage).map((c) => this.view(c)),
        );
      }
      if (method === 'POST') {
        const c = this.seed(this.author.login, (body as { body: string }).body, this.author.type);
        return send(201, this.view(c));
      }
    }
    if (number === 'comments' && parts.length === 6 && method === 'PATCH') {
      const c = this.comments.find((x) => x.id === Number(sub));
      if (!c) return notFound();
      c.body = (body as { body: string }).body;
      c.updatedAt = this.tick();
      return send(200, this.view(c));
    }
    return notFound();
  }

  /** A comment as GitHub's REST API shows one (`issue-comment`). */
  private view(c: FakeComment) {
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      url: `${this.url}/repos/acme/shop/issues/comments/${c.id}`,
      html_url: `https://github.com/acme/shop/pull/${PR}#issuecomment-${c.id}`,
      body: c.body,
      user: this.user(c.login, c.type === 'Bot' ? 41898282 : 3001, c.type),
      created_at: '2026-01-01T00:00:00Z',
      updated_at: c.updatedAt,
      issue_url: `${this.url}/repos/acme/shop/issues/${PR}`,
      author_association: c.type === 'Bot' ? 'NONE' : 'MEMBER',
      performed_via_github_app: null,
    };
  }
}

// ---- running the job ----

const RUN_URL = 'https://github.com/acme/shop/actions/runs/4243';
const { outDir, artifacts } = jobArtifacts<PrCommentResult>('pr-comment');

/** A `pull_request` event's file, as GitHub Actions writes it (the parts pr-comment reads). */
function eventFile(base: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'envsync-event-'));
  const file = path.join(dir, 'event.json');
  writeFileSync(
    file,
    JSON.stringify({
      action: 'synchronize',
      number: PR,
      pull_request: { number: PR, base: { ref: base }, head: { ref: base === 'main' ? 'staging' : 'dev' } },
    }),
  );
  return file;
}

/** The environment of a workflow run by `pull_request` into `base`, talking to the fake. */
function actionsEnv(github: FakeConversation, base = 'main', extra: Record<string, string> = {}) {
  return tokenEnv({
    GITHUB_API_URL: github.url,
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4243',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventFile(base),
    ...extra,
  });
}

const planArgs = (plan: string, out: string, ...more: string[]) => ['--plan', plan, '--out', out, ...more];

/** The production plan, changed from the fixture's by `changes`, in a run's --out directory. */
const changedPlan = (changes: Partial<ProductionPlanResult>) =>
  planDir(productionPlanRecord({ ...productionPlanned(), ...changes }));

/**
 * pr-comment in this process: on `plan` (the production plan's run by default), into `out`,
 * from a `pull_request` run into main unless `env` says otherwise.
 */
function commentOn(
  github: FakeConversation,
  {
    plan = planDir(productionPlanRecord()),
    out = outDir(),
    env = actionsEnv(github),
    flags = [],
  }: { plan?: string; out?: string; env?: NodeJS.ProcessEnv; flags?: string[] } = {},
): Promise<RunAgainstFake> {
  return runAgainst(github, prCommentJob, planArgs(plan, out, ...flags), env);
}

const LIST = `GET /repos/acme/shop/issues/${PR}/comments?per_page=100&page=1`;

describe('one plan comment on a pull request into main, kept up to date', () => {
  const github = startForSuite(new FakeConversation());
  const plan = planDir(productionPlanRecord());
  let ours = 0;

  beforeAll(() => {
    github.seed('alice', 'LGTM once the plan is green');
  });

  test('the first run (the shell, in a pull_request run) POSTs one comment: the marker, then the plan', async () => {
    const out = outDir();
    const run = await runScript('pr-comment', planArgs(plan, out), actionsEnv(github));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(github.requests.map(methodAndPath)).toEqual([
      'GET /user',
      LIST,
      `POST /repos/acme/shop/issues/${PR}/comments`,
    ]);
    expect(github.problems).toEqual([]);
    const created = github.comments.at(-1)!;
    ours = created.id;
    expect(created.login).toBe('envsync-bot');
    expect(created.body.split('\n')[0]).toBe('<!-- envsync:plan:main -->');
    expect(created.body).toContain('### Migrations');
    expect(created.body).toContain('`20250601000000_spot_rating.sql`');
    expect(created.body).toContain('warning `index-not-concurrently` line 3');
    expect(created.body).toContain('### Drift');
    expect(created.body).toContain('| `public.tourist_spots` | 50 | 47 | 0 | — |');
    expect(created.body).toContain(`Plan \`${productionPlanned().hash}\``);
    expect(created.body).toContain(`[workflow run](${RUN_URL})`);
    // The renderer's own golden: what GitHub received is what the pure renderer gives.
    expectGolden('pr-comment-summary.production-plan.md', created.body);
    const a = artifacts(out);
    expect(a.record.result).toMatchObject({
      repo: 'acme/shop',
      pr: PR,
      action: 'create',
      sent: true,
      author: 'envsync-bot',
      commentsRead: 1,
      comment: { id: ours, url: `https://github.com/acme/shop/pull/${PR}#issuecomment-${ours}` },
      request: { method: 'POST', path: `/repos/acme/shop/issues/${PR}/comments` },
    });
    expect(a.record.result!.body).toBe(created.body);
    // The log keeps to the request; the text is in the artifacts.
    expect(run.stdout).toContain(
      `POST /repos/acme/shop/issues/${PR}/comments  # create the plan comment (${created.body.length} characters)\n`,
    );
    expect(run.stdout).not.toContain('### Migrations');
    expect(run.stdout).toContain(
      `ok: acme/shop#${PR}: plan comment created — https://github.com/acme/shop/pull/${PR}#issuecomment-${ours}`,
    );
    expectGolden('pr-comment-summary.created.md', github.withoutPort(a.summary).replace(plan, '<plan>'));
    expectTokenKept(github, run, a);
  });

  test('a second run with the same plan makes no write', async () => {
    const out = outDir();
    const run = await commentOn(github, { plan, out });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.requests.map(methodAndPath)).toEqual(['GET /user', LIST]);
    expect(github.problems).toEqual([]);
    const a = artifacts(out);
    expect(a.record.result).toMatchObject({ action: 'unchanged', sent: false, request: null });
    expect(run.stdout).toContain(`comment ${ours} already says this plan: nothing to send`);
    expect(run.stdout).toContain(`ok: acme/shop#${PR}: the plan comment already says this — nothing sent`);
    expectTokenKept(github, run, a);
  });

  test('a changed plan PATCHes the same comment, never a second one', async () => {
    const out = outDir();
    const run = await commentOn(github, {
      plan: changedPlan({
        hash: `sha256:${'77'.repeat(32)}`,
        drift: {
          checked: true,
          drifted: true,
          allowed: false,
          differences: ['table public.spots: column added'],
        },
        refused: ['production has drifted from its applied migrations (1 difference(s))'],
      }),
      out,
    });
    expect(run.code).toBe(0);
    expect(run.requests.map(methodAndPath)).toEqual([
      'GET /user',
      LIST,
      `PATCH /repos/acme/shop/issues/comments/${ours}`,
    ]);
    expect(github.problems).toEqual([]);
    expect(github.comments.map((c) => c.login)).toEqual(['alice', 'envsync-bot']);
    const updated = github.comments.find((c) => c.id === ours)!;
    expect(updated.body).toContain('**Not deployable:** production has drifted');
    expect(updated.body).toContain(`sha256:${'77'.repeat(32)}`);
    const a = artifacts(out);
    expect(a.record.result).toMatchObject({
      action: 'update',
      sent: true,
      plan: { status: 'failed' },
      comment: { id: ours },
    });
    expectTokenKept(github, run, a);
  });

  test('the comment by someone else, without the marker, is left alone', () => {
    expect(github.comments[0]).toMatchObject({
      login: 'alice',
      body: 'LGTM once the plan is green',
      updatedAt: '2026-01-01T00:00:00Z',
    });
    expect(github.written.filter((w) => !w.endsWith(`/comments/${ours}`))).toEqual([
      `POST /repos/acme/shop/issues/${PR}/comments`,
    ]);
  });
});

test('--dry-run reads, prints the request it would make with its body, and writes nothing', () =>
  withFake(new FakeConversation(), async (github) => {
    const out = outDir();
    const run = await commentOn(github, {
      out,
      env: tokenEnv({ GITHUB_API_URL: github.url }),
      flags: ['--dry-run', '--repo', 'acme/shop', '--pr', String(PR)],
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(github.written).toEqual([]);
    expect(github.comments).toEqual([]);
    expect(github.problems).toEqual([]);
    const a = artifacts(out);
    const r = a.record.result!;
    expect(r).toMatchObject({ dryRun: true, action: 'create', sent: false, comment: null });
    // Outside a pull_request run: no base branch known, the marker says production; no run to link.
    expect(r.marker).toBe('<!-- envsync:plan:production -->');
    expect(r.body).not.toContain('workflow run');
    expect(run.stdout).toContain(
      `dry run: the request it would send to ${github.url} (none is sent):\n` +
        `  POST /repos/acme/shop/issues/${PR}/comments  # create the plan comment\n` +
        `    ${JSON.stringify({ body: r.body })}\n`,
    );
    expect(run.stdout).toContain(
      `ok: dry run: acme/shop#${PR} would get its plan comment created (POST /repos/acme/shop/issues/${PR}/comments); nothing was sent`,
    );
    expect(a.summary).toContain('**Dry run:** it would create the plan comment');
    expectTokenKept(github, run, a);
  }));

test('a workflow’s GITHUB_TOKEN (GitHub does not name its user): the marker alone finds the comment, past the first page', () =>
  withFake(new FakeConversation(), async (github) => {
    github.tokenUser = null;
    expect((await commentOn(github)).code).toBe(0);
    const ours = github.comments[0]!;
    expect(ours.login).toBe('github-actions[bot]');
    // A busy conversation: our comment is now on page 1 of 2, the last of 130.
    for (let i = 0; i < 129; i++) github.seed(i % 2 ? 'alice' : 'bob', `comment ${i}`);
    github.comments.push(github.comments.shift()!);
    const out = outDir();
    const run = await commentOn(github, { plan: changedPlan({ pending: [] }), out });
    expect(run.code).toBe(0);
    expect(run.requests.map(methodAndPath)).toEqual([
      'GET /user',
      LIST,
      `GET /repos/acme/shop/issues/${PR}/comments?per_page=100&page=2`,
      `PATCH /repos/acme/shop/issues/comments/${ours.id}`,
    ]);
    expect(github.comments).toHaveLength(130);
    expect(github.problems).toEqual([]);
    const a = artifacts(out);
    expect(a.record.result).toMatchObject({ author: null, commentsRead: 130, action: 'update' });
    expect(a.summary).toContain('GitHub does not name this token’s user');
    expectTokenKept(github, run, a);
  }));

test('someone else’s comment that starts with the marker is not taken over when the token’s user is known', () =>
  withFake(new FakeConversation(), async (github) => {
    const quoted = github.seed('mallory', '<!-- envsync:plan:main -->\nnothing to deploy, merge away');
    expect((await commentOn(github)).code).toBe(0);
    expect(github.written).toEqual([`POST /repos/acme/shop/issues/${PR}/comments`]);
    expect(quoted.body).toBe('<!-- envsync:plan:main -->\nnothing to deploy, merge away');
    expect(github.problems).toEqual([]);
  }));

test('a pull request into staging: the lint findings, under the staging marker', () =>
  withFake(new FakeConversation(), async (github) => {
    github.seed('envsync-bot', '<!-- envsync:plan:main -->\nan older plan, from when the PR was into main');
    const out = outDir();
    const run = await commentOn(github, {
      plan: planDir(lintRecord()),
      out,
      env: actionsEnv(github, 'staging'),
    });
    expect(run.code).toBe(0);
    expect(github.written).toEqual([`POST /repos/acme/shop/issues/${PR}/comments`]);
    const body = github.comments.at(-1)!.body;
    expect(body.split('\n')[0]).toBe('<!-- envsync:plan:staging -->');
    expect(body).toContain('**4 errors, 3 warnings** in 7 migrations');
    expect(body).toContain('`table-without-rls`');
    expect(artifacts(out).record.result!.plan).toEqual({
      dir: expect.any(String),
      job: 'lint-migrations',
      status: 'failed',
    });
    expect(lintFailed().counts.errors).toBe(4);
    expect(github.problems).toEqual([]);
  }));

test('a plan run that ended in an error: the comment says so (a stale plan is not left standing)', () =>
  withFake(new FakeConversation(), async (github) => {
    expect((await commentOn(github)).code).toBe(0);
    expect((await commentOn(github, { plan: planDir(productionPlanError()) })).code).toBe(0);
    expect(github.written).toEqual([
      `POST /repos/acme/shop/issues/${PR}/comments`,
      `PATCH /repos/acme/shop/issues/comments/${github.comments[0]!.id}`,
    ]);
    expect(github.comments[0]!.body).toContain('## envsync production-plan: error');
    expect(github.comments[0]!.body).not.toContain('### Migrations');
  }));

describe('a token without the rights', () => {
  test('403 on the POST, fine-grained token: exit 2, one line naming "Pull requests: write"; nothing written', () =>
    withFake(new FakeConversation(), async (github) => {
      github.refusal = {
        when: (method) => method === 'POST',
        status: 403,
        message: 'Resource not accessible by personal access token',
        headers: { 'x-accepted-github-permissions': 'issues=write; pull_requests=write' },
      };
      const out = outDir();
      const run = await runScript(
        'pr-comment',
        planArgs(planDir(productionPlanRecord()), out),
        actionsEnv(github),
      );
      const { error, hint } = errorAndHint(run);
      expect(error).toBe(
        `error: GitHub refused POST /repos/acme/shop/issues/${PR}/comments (403 Resource not accessible by personal access token): ` +
          'the token needs the repository permission "Pull requests: write" (or "Issues: write") on acme/shop ' +
          '(a classic token: the repo scope, or public_repo for a public repository) — GitHub accepts: issues=write; pull_requests=write',
      );
      expect(hint).toMatch(/^hint: give the token that permission \(.*classic: tick repo, or public_repo/);
      expect(hint).toContain('`permissions: pull-requests: write`');
      expect(hint).toMatch(/; nothing was changed$/);
      expect(github.comments).toEqual([]);
      expect(github.problems).toEqual([]);
      const a = artifacts(out);
      expect(a.record).toMatchObject({ status: 'error', exitCode: 2 });
      expectTokenKept(github, run, a);
    }));

  test('403 on the PATCH, classic token: the scopes it has are named', () =>
    withFake(new FakeConversation(), async (github) => {
      expect((await commentOn(github)).code).toBe(0);
      github.refusal = {
        when: (method) => method === 'PATCH',
        status: 403,
        message: 'Resource not accessible by personal access token',
        headers: { 'x-oauth-scopes': 'read:org' },
      };
      const run = await commentOn(github, { plan: changedPlan({ pending: [] }) });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        '(a classic token: the repo scope, or public_repo for a public repository; this classic token has: read:org)',
      );
    }));

  test('a pull request the token cannot see (404 on the read): exit 2, saying so', () =>
    withFake(new FakeConversation(), async (github) => {
      const run = await commentOn(github, { flags: ['--pr', '8'] });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^error: GitHub has no pull request acme\/shop#8 that this token can see \(404 Not Found\)\n/,
      );
      expect(github.written).toEqual([]);
    }));

  test('a token GitHub does not accept (401): exit 2 before the conversation is read', () =>
    withFake(new FakeConversation(), async (github) => {
      github.refusal = { when: () => true, status: 401, message: 'Bad credentials' };
      const run = await commentOn(github);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: GitHub refused GITHUB_TOKEN \(401 Bad credentials\)\n/);
      expect(run.requests.map(methodAndPath)).toEqual(['GET /user']);
    }));
});

describe('bad input: one line, exit 2, nothing sent', () => {
  const github = startForSuite(new FakeConversation());

  const notARecord = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'envsync-plan-'));
    writeFileSync(
      path.join(dir, 'production-plan.json'),
      JSON.stringify({ job: 'production-plan', hash: 'x' }),
    );
    return dir;
  };
  const notJson = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'envsync-plan-'));
    writeFileSync(path.join(dir, 'lint-migrations.json'), '{"job": "lint-');
    return dir;
  };
  const empty = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'envsync-plan-'));
    mkdirSync(path.join(dir, 'migration-status'));
    return dir;
  };

  // The environment, when not given: a pull_request run's into main.
  test.each<[string, () => string[], RegExp, (() => NodeJS.ProcessEnv)?]>([
    ['no --plan', () => [], /^error: --plan is required$/],
    [
      'a --plan that does not exist',
      () => ['--plan', '/nonexistent/plan'],
      /^error: --plan \/nonexistent\/plan does not exist$/,
    ],
    [
      'a --plan with neither record',
      () => ['--plan', empty()],
      /holds neither production-plan\.json nor lint-migrations\.json$/,
    ],
    [
      'a record that is not a plan',
      () => ['--plan', notARecord()],
      /production-plan\.json is not a production-plan record$/,
    ],
    ['a record that is not JSON', () => ['--plan', notJson()], /lint-migrations\.json is not valid JSON$/],
    [
      'no pull request: not a pull_request run and no --pr',
      () => ['--plan', planDir(productionPlanRecord())],
      /^error: --pr is required$/,
      () => tokenEnv({ GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'acme/shop' }),
    ],
    [
      'a --pr that is not a number',
      () => ['--plan', planDir(productionPlanRecord()), '--pr', '7a'],
      /^error: --pr 7a is not a pull request number$/,
    ],
    [
      'no GITHUB_TOKEN',
      () => ['--plan', planDir(productionPlanRecord())],
      /^error: GITHUB_TOKEN is not set$/,
      () => ({ ...actionsEnv(github), GITHUB_TOKEN: '' }),
    ],
    [
      'an --api-url that would send the token in clear',
      () => ['--plan', planDir(productionPlanRecord()), '--api-url', 'http://github.example.com'],
      /^error: --api-url http:\/\/github\.example\.com is not https/,
    ],
    [
      'a --repo that is not owner/name',
      () => ['--plan', planDir(productionPlanRecord()), '--repo', 'shop'],
      /^error: --repo shop is not owner\/name$/,
    ],
  ])('%s', async (_, args, error, runEnv = () => actionsEnv(github)) => {
    const before = github.requests.length;
    const run = await runInProcess(prCommentJob, [...args(), '--out', outDir()], runEnv());
    expect(errorAndHint(run).error).toMatch(error);
    expect(github.requests.length).toBe(before);
  });

  test('every bad flag at once', async () => {
    const run = await runInProcess(
      prCommentJob,
      ['--plan', '/nonexistent/plan', '--pr', 'x', '--repo', 'shop', '--out', outDir()],
      cleanEnv(),
    );
    expect(run.code).toBe(2);
    const line = run.stderr.split('\n')[0]!;
    for (const p of [
      '--plan /nonexistent/plan does not exist',
      '--pr x',
      '--repo shop',
      'GITHUB_TOKEN is not set',
    ])
      expect(line).toContain(p);
  });
});
