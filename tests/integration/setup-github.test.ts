// setup-github against a real HTTP server on localhost that plays GitHub's REST API: it keeps
// a repository's environments, branch policies and branch protection, answers GETs from them
// and applies the writes, so a second run sees what the first one set. Every request the job
// sends is held to GitHub's published OpenAPI description (@octokit/openapi), and the fake's
// answers to the reads to their response schemas (tests/helpers/github-api.ts): the job is
// tested on the shapes GitHub really sends.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import { BRANCHES, ENVIRONMENTS } from '../../scripts/lib/github/repository-settings.ts';
import { setupGitHubJob } from '../../scripts/lib/jobs/setup-github.ts';
import type { SetupGitHubResult } from '../../scripts/lib/results/setup-github.ts';
import {
  errorAndHint,
  expectTokenKept,
  FakeGitHubServer,
  type FakeRequest,
  isWrite,
  jobArtifacts,
  loadOpenApi,
  methodAndPath,
  type Recorded,
  requestProblems,
  runAgainst,
  startForSuite,
  tokenEnv,
  withFake,
} from '../helpers/github-api.ts';
import { expectGolden } from '../helpers/golden.ts';
import { cleanEnv, runInProcess, runScript } from '../helpers/run-script.ts';

// ---- a repository on a fake GitHub ----

interface FakeEnvironment {
  id: number;
  policy: { protected_branches: boolean; custom_branch_policies: boolean } | null;
  reviewers: { type: 'User' | 'Team'; id: number }[];
  waitTimer?: number;
  branchPolicies: { id: number; name: string; type: 'branch' | 'tag' }[];
}

const USERS: Record<string, { id: number; type: 'User' | 'Organization' }> = {
  acme: { id: 500, type: 'Organization' },
  alice: { id: 1001, type: 'User' },
  bob: { id: 1002, type: 'User' },
};
const TEAMS: Record<string, number> = { ops: 2001 };

// The answers whose shape the job reads beyond an id or a name: the fake gives them in full.
const SHAPES_CHECKED = new Set([
  'GET /repos/{owner}/{repo}/environments',
  'GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies',
  'GET /repos/{owner}/{repo}/branches/{branch}/protection',
]);

class FakeGitHub extends FakeGitHubServer {
  readonly environments = new Map<string, FakeEnvironment>();
  readonly protections = new Map<string, Record<string, unknown>>();
  readonly branches = new Set(['dev', 'staging', 'main']);
  ownerType: 'Organization' | 'User' = 'Organization';
  admin = true;
  private nextId = 1;
  protected readonly shapesChecked = SHAPES_CHECKED;

  protected route({ method, url, parts, body, send, notFound }: FakeRequest): boolean {
    const [root, owner, repo, area, name, sub, subId] = parts;
    if (root === 'users' && parts.length === 2) {
      const user = USERS[owner!];
      return user ? send(200, this.user(owner!, user.id, user.type)) : notFound();
    }
    if (root === 'orgs' && repo === 'teams' && parts.length === 4) {
      const id = TEAMS[area!];
      return owner === 'acme' && id && this.ownerType === 'Organization'
        ? send(200, this.team(area!, id))
        : notFound();
    }
    if (root !== 'repos' || owner !== 'acme' || repo !== 'shop') return notFound();
    if (!area && method === 'GET') {
      return send(200, {
        id: 42,
        name: 'shop',
        full_name: 'acme/shop',
        owner: this.user('acme', 500, this.ownerType),
        permissions: { admin: this.admin, maintain: this.admin, push: true, triage: true, pull: true },
      });
    }
    if (area === 'environments')
      return this.environmentRoute(method, name, sub, subId, url, body, send, notFound);
    if (area === 'branches' && sub === 'protection' && parts.length === 6) {
      if (!this.branches.has(name!)) return notFound('Branch not found');
      if (method === 'GET') {
        const p = this.protections.get(name!);
        return p ? send(200, this.protectionView(name!, p)) : notFound('Branch not protected');
      }
      if (method === 'PUT') {
        this.protections.set(name!, body as Record<string, unknown>);
        return send(200, { url: `${this.url}${url.pathname}` });
      }
    }
    return notFound();
  }

  private environmentRoute(
    method: string,
    name: string | undefined,
    sub: string | undefined,
    subId: string | undefined,
    url: URL,
    body: unknown,
    send: (status: number, data?: unknown) => boolean,
    notFound: (message?: string) => boolean,
  ): boolean {
    if (!name && method === 'GET') {
      const all = [...this.environments.keys()].map((n) => this.environmentView(n));
      return send(200, { total_count: all.length, environments: all });
    }
    const env = name ? this.environments.get(name) : undefined;
    if (!sub && method === 'PUT') {
      const b = (body ?? {}) as {
        reviewers?: FakeEnvironment['reviewers'];
        deployment_branch_policy?: FakeEnvironment['policy'];
        wait_timer?: number;
      };
      const e = env ?? { id: this.nextId++, policy: null, reviewers: [], branchPolicies: [] };
      if ('deployment_branch_policy' in b) e.policy = b.deployment_branch_policy ?? null;
      if (!e.policy?.custom_branch_policies) e.branchPolicies = [];
      if (b.reviewers) e.reviewers = b.reviewers;
      if (b.wait_timer !== undefined) e.waitTimer = b.wait_timer;
      this.environments.set(name!, e);
      return send(200, this.environmentView(name!));
    }
    // GitHub keeps name patterns only for an environment with a custom policy.
    if (!env || sub !== 'deployment-branch-policies' || !env.policy?.custom_branch_policies)
      return notFound();
    if (!subId && method === 'GET') {
      const page = Number(url.searchParams.get('page') ?? 1);
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const branch_policies = env.branchPolicies
        .slice((page - 1) * perPage, page * perPage)
        .map((p) => ({ ...p, node_id: `BP${p.id}` }));
      return send(200, { total_count: env.branchPolicies.length, branch_policies });
    }
    if (!subId && method === 'POST') {
      const b = body as { name: string; type?: 'branch' | 'tag' };
      const policy = { id: this.nextId++, name: b.name, type: b.type ?? 'branch' };
      env.branchPolicies.push(policy);
      return send(200, { ...policy, node_id: `BP${policy.id}` });
    }
    if (subId && method === 'DELETE') {
      const i = env.branchPolicies.findIndex((p) => p.id === Number(subId));
      if (i < 0) return notFound();
      env.branchPolicies.splice(i, 1);
      return send(204);
    }
    return notFound();
  }

  team(slug: string, id: number) {
    const api = `${this.url}/organizations/500/team/${id}`;
    return {
      id,
      node_id: `T${id}`,
      url: api,
      html_url: `https://github.com/orgs/acme/teams/${slug}`,
      name: slug,
      slug,
      description: null,
      privacy: 'closed',
      permission: 'pull',
      members_url: `${api}/members{/member}`,
      repositories_url: `${api}/repos`,
      parent: null,
    };
  }

  private environmentView(name: string) {
    const e = this.environments.get(name)!;
    const rule = (type: string, extra: Record<string, unknown> = {}) => ({
      id: e.id * 10 + type.length,
      node_id: `R${e.id}${type}`,
      type,
      ...extra,
    });
    const reviewers = e.reviewers.map((r) => {
      const login = Object.entries(USERS).find(([, u]) => u.id === r.id)?.[0];
      const slug = Object.entries(TEAMS).find(([, id]) => id === r.id)?.[0];
      return {
        type: r.type,
        reviewer: r.type === 'User' ? this.user(login!, r.id, 'User') : this.team(slug!, r.id),
      };
    });
    return {
      id: e.id,
      node_id: `E${e.id}`,
      name,
      url: `${this.url}/repos/acme/shop/environments/${name}`,
      html_url: `https://github.com/acme/shop/deployments/activity_log?environments_filter=${name}`,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      protection_rules: [
        ...(e.waitTimer ? [rule('wait_timer', { wait_timer: e.waitTimer })] : []),
        ...(reviewers.length ? [rule('required_reviewers', { prevent_self_review: false, reviewers })] : []),
        ...(e.policy ? [rule('branch_policy')] : []),
      ],
      deployment_branch_policy: e.policy,
    };
  }

  /** A PUT body as GitHub's GET shows it. */
  private protectionView(branch: string, p: Record<string, unknown>) {
    const url = `${this.url}/repos/acme/shop/branches/${branch}/protection`;
    const checks = p.required_status_checks as { strict: boolean; contexts: string[] } | null;
    const reviews = p.required_pull_request_reviews as Record<string, unknown> | null;
    const restrictions = p.restrictions as { users: string[]; teams: string[]; apps?: string[] } | null;
    const flag = (key: string) => ({ enabled: p[key] === true });
    return {
      url,
      ...(checks
        ? {
            required_status_checks: {
              url: `${url}/required_status_checks`,
              strict: checks.strict,
              contexts: checks.contexts,
              checks: checks.contexts.map((context) => ({ context, app_id: 15368 })),
              contexts_url: `${url}/required_status_checks/contexts`,
            },
          }
        : {}),
      enforce_admins: { url: `${url}/enforce_admins`, enabled: p.enforce_admins === true },
      ...(reviews
        ? {
            required_pull_request_reviews: {
              url: `${url}/required_pull_request_reviews`,
              dismiss_stale_reviews: reviews.dismiss_stale_reviews === true,
              require_code_owner_reviews: reviews.require_code_owner_reviews === true,
              required_approving_review_count: reviews.required_approving_review_count,
              require_last_push_approval: reviews.require_last_push_approval === true,
            },
          }
        : {}),
      ...(restrictions
        ? {
            restrictions: {
              url: `${url}/restrictions`,
              users_url: `${url}/restrictions/users`,
              teams_url: `${url}/restrictions/teams`,
              apps_url: `${url}/restrictions/apps`,
              users: restrictions.users.map((login) => this.user(login, USERS[login]!.id, 'User')),
              teams: restrictions.teams.map((slug) => this.team(slug, TEAMS[slug]!)),
              apps: [],
            },
          }
        : {}),
      required_signatures: { url: `${url}/required_signatures`, enabled: false },
      required_linear_history: flag('required_linear_history'),
      allow_force_pushes: flag('allow_force_pushes'),
      allow_deletions: flag('allow_deletions'),
      block_creations: flag('block_creations'),
      required_conversation_resolution: flag('required_conversation_resolution'),
      lock_branch: flag('lock_branch'),
      allow_fork_syncing: flag('allow_fork_syncing'),
    };
  }
}

// ---- running the job ----

const { outDir, artifacts } = jobArtifacts<SetupGitHubResult>('setup-github');

const repoArgs = (github: FakeGitHub, out: string, ...more: string[]) => [
  '--repo',
  'acme/shop',
  '--api-url',
  github.url,
  '--out',
  out,
  ...more,
];

/** setup-github in this process, for acme/shop on the fake, into `out`. */
const setupGitHub = (github: FakeGitHub, out: string, ...more: string[]) =>
  runAgainst(github, setupGitHubJob, repoArgs(github, out, ...more), tokenEnv());

const FIRST_RUN_WRITES = [
  'PUT /repos/acme/shop/environments/dev',
  'PUT /repos/acme/shop/environments/staging',
  'POST /repos/acme/shop/environments/staging/deployment-branch-policies',
  'PUT /repos/acme/shop/environments/production-plan',
  'POST /repos/acme/shop/environments/production-plan/deployment-branch-policies',
  'POST /repos/acme/shop/environments/production-plan/deployment-branch-policies',
  'PUT /repos/acme/shop/environments/production',
  'POST /repos/acme/shop/environments/production/deployment-branch-policies',
  'PUT /repos/acme/shop/branches/dev/protection',
  'PUT /repos/acme/shop/branches/staging/protection',
  'PUT /repos/acme/shop/branches/main/protection',
];

beforeAll(loadOpenApi);

describe('a repository without any of the settings', () => {
  const github = startForSuite(new FakeGitHub());
  let firstWrites: Recorded[] = [];

  test('the first run (the shell, as a user runs it) makes exactly the writes needed, each valid against GitHub’s OpenAPI description', async () => {
    const out = outDir();
    const run = await runScript(
      'setup-github',
      repoArgs(github, out, '--reviewers', 'alice,team:ops'),
      tokenEnv(),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const a = artifacts(out);
    firstWrites = github.writeRequests;
    expect(firstWrites.map(methodAndPath)).toEqual(FIRST_RUN_WRITES);
    expect(github.problems).toEqual([]);
    const body = (i: number) => firstWrites[i]!.body as Record<string, unknown>;
    const custom = { protected_branches: false, custom_branch_policies: true };
    expect(body(0)).toEqual({
      deployment_branch_policy: { protected_branches: true, custom_branch_policies: false },
    });
    expect(body(2)).toEqual({ name: 'staging', type: 'branch' });
    expect(body(3)).toEqual({ reviewers: [], deployment_branch_policy: custom });
    expect([body(4), body(5)]).toEqual([
      { name: 'main', type: 'branch' },
      { name: 'staging', type: 'branch' },
    ]);
    expect(body(6)).toEqual({
      reviewers: [
        { type: 'User', id: 1001 },
        { type: 'Team', id: 2001 },
      ],
      deployment_branch_policy: custom,
    });
    expect(body(7)).toEqual({ name: 'main', type: 'branch' });
    expect(body(8)).toEqual({
      required_status_checks: { strict: false, contexts: ['checks', 'migrations'] },
      enforce_admins: false,
      required_pull_request_reviews: null,
      restrictions: null,
      required_linear_history: false,
    });
    expect(body(9)).toMatchObject({
      required_status_checks: { strict: false, contexts: ['checks', 'migrations', 'test'] },
      required_pull_request_reviews: { required_approving_review_count: 0 },
      required_linear_history: false,
    });
    expect(body(10)).toEqual({
      required_status_checks: {
        strict: false,
        contexts: ['test', 'database / health-check', 'database / report', 'app-health'],
      },
      enforce_admins: false,
      required_pull_request_reviews: {
        dismiss_stale_reviews: false,
        require_code_owner_reviews: false,
        required_approving_review_count: 1,
      },
      restrictions: null,
      required_linear_history: true,
    });
    // What GitHub now holds is what was wanted.
    expect(github.environments.get('production')?.branchPolicies.map((p) => p.name)).toEqual(['main']);
    expect(github.environments.get('production-plan')?.branchPolicies.map((p) => p.name)).toEqual([
      'main',
      'staging',
    ]);
    const r = a.record.result!;
    expect(r.sent).toBe(11);
    expect(r.settings.map((s) => `${s.kind} ${s.name}: ${s.action}`)).toEqual([
      'environment dev: create',
      'environment staging: create',
      'environment production-plan: create',
      'environment production: create',
      'branch protection dev: create',
      'branch protection staging: create',
      'branch protection main: create',
    ]);
    expect(run.stdout).toContain('acme/shop set up: 11 write(s)');
    expectGolden('setup-github-summary.applied.md', github.withoutPort(a.summary));
    expectTokenKept(github, run, a);
  });

  test('a second run against the settings as set sends no write', async () => {
    expect(firstWrites).toHaveLength(11);
    const out = outDir();
    const run = await setupGitHub(github, out, '--reviewers', 'team:ops,alice');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.requests.length).toBeGreaterThan(0);
    expect(run.requests.filter(isWrite)).toEqual([]);
    expect(github.problems).toEqual([]);
    const a = artifacts(out);
    expect(a.record.result!.writes).toEqual([]);
    expect(a.record.result!.settings.every((s) => s.action === 'unchanged')).toBe(true);
    expect(run.stdout).toContain('acme/shop is already set up: nothing to change');
    expect(a.summary).toContain('**Already set up: nothing to change.**');
    expectTokenKept(github, run, a);
  });

  test('without --reviewers the second run keeps production’s reviewers and still writes nothing', async () => {
    const run = await setupGitHub(github, outDir());
    expect(run.code).toBe(0);
    expect(run.requests.filter(isWrite)).toEqual([]);
    expect(github.environments.get('production')?.reviewers.map((r) => r.id)).toEqual([1001, 2001]);
  });
});

test('--dry-run prints every write with its body, sends none, and plans exactly what a real run sends', () =>
  withFake(new FakeGitHub(), async (github) => {
    const out = outDir();
    const run = await setupGitHub(github, out, '--reviewers', 'alice,team:ops', '--dry-run');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(github.writeRequests).toEqual([]);
    expect(github.problems).toEqual([]);
    const a = artifacts(out);
    const planned = a.record.result!.writes;
    expect(planned.map((w) => `${w.method} ${w.path}`)).toEqual(FIRST_RUN_WRITES);
    // The planned writes are valid requests too, and every one is printed with its body.
    for (const w of planned) {
      expect(
        requestProblems({
          method: w.method,
          url: w.path,
          authorization: undefined,
          body: w.body ?? undefined,
        }),
      ).toEqual([]);
      expect(run.stdout).toContain(`  ${w.method} ${w.path}  # ${w.reason}\n    ${JSON.stringify(w.body)}\n`);
    }
    const shown = run.stdout
      .split('\n')
      .filter((l) => !l.startsWith('artifacts: '))
      .join('\n');
    expectGolden('setup-github.dry-run.txt', github.withoutPort(shown));
    expectGolden('setup-github-summary.dry-run.md', github.withoutPort(a.summary));
    expect(run.stdout).toContain('dry run: acme/shop needs 11 write(s)');
    expectTokenKept(github, run, a);

    // The same plan, sent: GitHub receives exactly the printed requests.
    const real = await setupGitHub(github, outDir(), '--reviewers', 'alice,team:ops');
    expect(real.code).toBe(0);
    expect(
      github.writeRequests.map((r) => ({ method: r.method, path: r.url, body: r.body ?? null })),
    ).toEqual(planned.map((w) => ({ method: w.method, path: w.path, body: w.body })));
  }));

test('a repository that drifted gets only the writes that close the gap; what envsync does not manage is kept', () =>
  withFake(new FakeGitHub(), async (github) => {
    // Set up, then changed by hand.
    expect((await setupGitHub(github, outDir(), '--reviewers', 'alice')).code).toBe(0);
    const production = github.environments.get('production')!;
    production.branchPolicies.push({ id: 900, name: 'release/*', type: 'branch' });
    github.environments.get('production-plan')!.reviewers = [{ type: 'User', id: 1002 }];
    // Staging opened to every branch (GitHub drops the name patterns with the custom policy).
    Object.assign(github.environments.get('staging')!, { policy: null, branchPolicies: [], waitTimer: 5 });
    const main = github.protections.get('main')!;
    github.protections.set('main', {
      ...main,
      required_status_checks: { strict: true, contexts: ['codeql', 'test'] },
      enforce_admins: true,
      required_pull_request_reviews: {
        ...(main.required_pull_request_reviews as object),
        required_approving_review_count: 2,
      },
      required_linear_history: false,
      allow_deletions: false,
    });
    const out = outDir();
    const run = await setupGitHub(github, out);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(github.problems).toEqual([]);
    const writes = run.requests.filter(isWrite);
    expect(writes.map(methodAndPath)).toEqual([
      'PUT /repos/acme/shop/environments/staging',
      'POST /repos/acme/shop/environments/staging/deployment-branch-policies',
      'PUT /repos/acme/shop/environments/production-plan',
      'DELETE /repos/acme/shop/environments/production/deployment-branch-policies/900',
      'PUT /repos/acme/shop/branches/main/protection',
    ]);
    expect(writes[0]!.body).toEqual({
      wait_timer: 5,
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
    });
    expect(writes[1]!.body).toEqual({ name: 'staging', type: 'branch' });
    expect(writes[2]!.body).toMatchObject({ reviewers: [] });
    expect(writes[3]!.body).toBeUndefined();
    expect(writes[4]!.body).toMatchObject({
      required_status_checks: {
        strict: true,
        contexts: ['codeql', 'test', 'database / health-check', 'database / report', 'app-health'],
      },
      enforce_admins: true,
      required_pull_request_reviews: { required_approving_review_count: 2 },
      required_linear_history: true,
      allow_deletions: false,
    });
    expect(github.environments.get('staging')!.branchPolicies.map((p) => p.name)).toEqual(['staging']);
    const a = artifacts(out);
    expect(a.record.result!.notes).toEqual([
      'branch main also requires `codeql`, which envsync does not set: kept (remove it by hand if no workflow reports it any more)',
    ]);
    expect(a.record.result!.settings.find((s) => s.name === 'production')).toMatchObject({
      action: 'update',
      changes: ['deployment branches: remove branch `release/*`'],
    });
    expect(run.stdout).toContain('warning: branch main also requires `codeql`');

    // And converged: once more, nothing.
    const again = await setupGitHub(github, outDir());
    expect(again.code).toBe(0);
    expect(again.requests.filter(isWrite)).toEqual([]);
  }));

describe('a token without the rights', () => {
  test('403 on the first write, classic token: exit 2, one line naming the permission and the scopes it has; nothing sent after it', () =>
    withFake(new FakeGitHub(), async (github) => {
      github.refusal = {
        when: (method, _path, write) => method !== 'GET' && write === 1,
        status: 403,
        message: 'Resource not accessible by personal access token',
        headers: { 'x-oauth-scopes': 'public_repo, workflow' },
      };
      const out = outDir();
      const run = await runScript('setup-github', repoArgs(github, out, '--reviewers', 'alice'), tokenEnv());
      const { error, hint } = errorAndHint(run);
      expect(error).toBe(
        'error: GitHub refused PUT /repos/acme/shop/environments/dev (403 Resource not accessible by personal access token): ' +
          'the token needs the repository permission "Administration: read and write" on acme/shop ' +
          '(a classic token: the repo scope; this classic token has: public_repo, workflow)',
      );
      expect(hint).toMatch(/^hint: give the token that permission .*; nothing was changed$/);
      expect(github.written).toEqual(['PUT /repos/acme/shop/environments/dev']);
      expect(github.problems).toEqual([]);
      const a = artifacts(out);
      expect(a.record).toMatchObject({ status: 'error', exitCode: 2 });
      expectTokenKept(github, run, a);
    }));

  test('refused halfway: the hint names what was already sent, and nothing is sent after the refusal', () =>
    withFake(new FakeGitHub(), async (github) => {
      github.refusal = {
        when: (method, pathname) => method === 'PUT' && pathname.endsWith('/protection'),
        status: 404,
        message: 'Not Found',
        headers: { 'x-accepted-github-permissions': 'administration=write' },
      };
      const out = outDir();
      const run = await setupGitHub(github, out, '--reviewers', 'alice');
      expect(run.code).toBe(2);
      const writes = github.written;
      expect(writes).toEqual(FIRST_RUN_WRITES.slice(0, 9));
      const [error, hint] = run.stderr.trimEnd().split('\n');
      expect(error).toContain(
        '"Administration: read and write" on acme/shop (a classic token: the repo scope) — GitHub accepts: administration=write',
      );
      expect(hint).toContain('already sent and kept: PUT /repos/acme/shop/environments/dev, ');
      expectTokenKept(github, run, artifacts(out));
    }));

  test('a repository the token cannot see (404): exit 2, saying so', () =>
    withFake(new FakeGitHub(), async (github) => {
      const args = [
        '--repo',
        'acme/secret',
        '--api-url',
        github.url,
        '--out',
        outDir(),
        '--reviewers',
        'alice',
      ];
      const run = await runInProcess(setupGitHubJob, args, tokenEnv());
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^error: GitHub has no repository acme\/secret that this token can see \(404 Not Found\)\n/,
      );
      expect(github.requests.map(methodAndPath)).toEqual(['GET /repos/acme/secret']);
    }));

  test('a user without the admin role: exit 2 before anything is read beyond the repository', () =>
    withFake(new FakeGitHub(), async (github) => {
      github.admin = false;
      const run = await setupGitHub(github, outDir(), '--reviewers', 'alice');
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^error: the token's user has the write role on acme\/shop; environments and branch protection need admin\n/,
      );
      expect(github.requests.map(methodAndPath)).toEqual(['GET /repos/acme/shop']);
    }));
});

test('GitHub failing a write for another reason: exit 1, the writes before it reported as applied, none after it', () =>
  withFake(new FakeGitHub(), async (github) => {
    github.refusal = {
      when: (method, _path, write) => method !== 'GET' && write === 3,
      status: 422,
      message: 'Validation Failed',
    };
    const out = outDir();
    const run = await setupGitHub(github, out, '--reviewers', 'alice');
    expect(run.code).toBe(1);
    expect(github.writeRequests).toHaveLength(3);
    const a = artifacts(out);
    expect(a.record.result).toMatchObject({ sent: 2, failed: { index: 2, status: 422 } });
    expect(a.summary).toContain(
      'GitHub failed write 3 of 11 (POST /repos/acme/shop/environments/staging/deployment-branch-policies)',
    );
    expect(a.summary).toContain('The 2 write(s) before it were applied');
    expectTokenKept(github, run, a);
  }));

describe('bad input: one line, exit 2, nothing sent', () => {
  const github = startForSuite(new FakeGitHub());

  test.each([
    ['no GITHUB_TOKEN', ['--repo', 'acme/shop'], cleanEnv(), /^error: GITHUB_TOKEN is not set$/],
    [
      'a --repo that is not owner/name',
      ['--repo', 'acme'],
      tokenEnv(),
      /^error: --repo acme is not owner\/name$/,
    ],
    ['no --repo', [], tokenEnv(), /^error: --repo is required$/],
    [
      'a bad reviewer',
      ['--repo', 'acme/shop', '--reviewers', 'alice,-bob'],
      tokenEnv(),
      /^error: --reviewers: '-bob' is not a GitHub login or team:<slug>$/,
    ],
  ])('%s', async (_, args, runEnv, error) => {
    const before = github.requests.length;
    const run = await runInProcess(
      setupGitHubJob,
      [...args, '--api-url', github.url, '--out', outDir()],
      runEnv,
    );
    expect(errorAndHint(run).error).toMatch(error);
    expect(github.requests.length).toBe(before);
  });

  test('production without reviewers, and none given: refused after reading, before any write', async () => {
    const run = await setupGitHub(github, outDir());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'error: environment production of acme/shop has no required reviewers, and --reviewers names none',
    );
    expect(github.writeRequests).toEqual([]);
  });

  test('a team on a repository a user owns, and a user GitHub does not know', async () => {
    github.ownerType = 'User';
    try {
      const team = await setupGitHub(github, outDir(), '--reviewers', 'team:ops');
      expect(team.code).toBe(2);
      expect(team.stderr).toContain('team:ops: acme is a user, and only an organization has teams');
    } finally {
      github.ownerType = 'Organization';
    }
    const ghost = await setupGitHub(github, outDir(), '--reviewers', 'nobody-here');
    expect(ghost.code).toBe(2);
    expect(ghost.stderr).toMatch(/^error: GitHub has no user nobody-here\n/);
    expect(github.writeRequests).toEqual([]);
  });

  test('an --api-url that would send the token in clear', async () => {
    const run = await runInProcess(
      setupGitHubJob,
      ['--repo', 'acme/shop', '--api-url', 'http://github.example.com', '--out', outDir()],
      tokenEnv(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: --api-url http:\/\/github\.example\.com is not https/);
  });
});

// The checks each branch requires are jobs of our workflows, named as GitHub names their check
// runs, and they run on the commit a pull request into that branch would merge.
describe('the required checks are the workflows’ real check runs', () => {
  const workflows = new Map<
    string,
    { on: Record<string, unknown>; jobs: Record<string, Record<string, unknown>> }
  >();
  const workflow = (file: string) => {
    if (!workflows.has(file)) {
      const text = readFileSync(path.join(repoRoot, '.github/workflows', file), 'utf8');
      workflows.set(file, parseYaml(text));
    }
    return workflows.get(file)!;
  };
  const checkName = (id: string, job: Record<string, unknown>) =>
    typeof job.name === 'string' ? job.name : id;

  test.each(BRANCHES.flatMap((b) => b.checks.map((c) => [b.branch, c.context, c] as const)))(
    '%s requires %s',
    (_, context, check) => {
      const wf = workflow(check.workflow);
      const job = wf.jobs[check.job];
      expect(job).toBeDefined();
      let name = checkName(check.job, job!);
      if (check.calledJob) {
        const uses = String(job!.uses ?? '');
        expect(uses).toMatch(/^\.\/\.github\/workflows\/[\w.-]+\.ya?ml$/);
        const called = workflow(path.basename(uses));
        const calledJob = called.jobs[check.calledJob];
        expect(calledJob).toBeDefined();
        name = `${name} / ${checkName(check.calledJob, calledJob!)}`;
      }
      expect(name).toBe(context);
      // It runs for the event and branch it is expected to report on.
      const trigger = wf.on[check.reportedBy.event] as {
        branches?: string[];
        'branches-ignore'?: string[];
      } | null;
      expect(trigger).not.toBeUndefined();
      if (trigger?.branches) expect(trigger.branches).toContain(check.reportedBy.branch);
      if (trigger?.['branches-ignore'])
        expect(trigger['branches-ignore']).not.toContain(check.reportedBy.branch);
    },
  );

  test('production is the only environment with reviewers, reachable from main alone', () => {
    expect(ENVIRONMENTS.map((e) => e.name)).toEqual(['dev', 'staging', 'production-plan', 'production']);
    const production = ENVIRONMENTS.find((e) => e.name === 'production')!;
    expect(production).toMatchObject({ deploymentBranches: ['main'], reviewers: 'required' });
    expect(ENVIRONMENTS.filter((e) => e.reviewers === 'required')).toEqual([production]);
  });
});
