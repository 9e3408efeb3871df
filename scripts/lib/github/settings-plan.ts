// The plan: the settings as read, against the settings wanted, become the writes that close the
// gap and nothing more. Pure: no request is made here. What envsync does not manage (a wait
// timer, push restrictions, a check required by hand) is carried over as it is, since a PUT
// replaces the whole setting.

import { InputError } from '../base/errors.ts';
import type { GitHubWrite, JsonValue, SettingChange } from '../results/setup-github.ts';
import { expandRoute, type RepoRef, repoName } from './client.ts';
import type { BranchProtection, CurrentEnvironment, CurrentSettings } from './current-settings.ts';
import type { BranchSettings, EnvironmentSettings } from './repository-settings.ts';
import { type Reviewer, reviewerLabel } from './reviewers.ts';

export interface WantedSettings {
  environments: EnvironmentSettings[];
  branches: BranchSettings[];
  /** From --reviewers; null: keep the reviewers the environments have. */
  reviewers: Reviewer[] | null;
}

export interface SettingsPlan {
  settings: SettingChange[];
  writes: GitHubWrite[];
  notes: string[];
}

const ENVIRONMENT = '/repos/{owner}/{repo}/environments/{environment_name}';
const BRANCH_POLICIES = '/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies';
const BRANCH_POLICY = `${BRANCH_POLICIES}/{branch_policy_id}`;
const PROTECTION = '/repos/{owner}/{repo}/branches/{branch}/protection';

export function planSettings(repo: RepoRef, wanted: WantedSettings, current: CurrentSettings): SettingsPlan {
  const plan: SettingsPlan = { settings: [], writes: [], notes: [] };
  for (const want of wanted.environments) {
    planEnvironment(plan, repo, want, current.environments[want.name] ?? null, wanted.reviewers);
  }
  for (const want of wanted.branches) {
    planProtection(plan, repo, want, current.protections[want.branch] ?? null);
  }
  return plan;
}

function write(
  repo: RepoRef,
  method: GitHubWrite['method'],
  route: string,
  params: Record<string, string | number>,
  body: JsonValue | null,
  object: string,
  reason: string,
): GitHubWrite {
  const all = { owner: repo.owner, repo: repo.name, ...params };
  return { method, route, params: all, path: expandRoute(route, all), body, object, reason };
}

// ---- environments ----

function wantedPolicy(want: EnvironmentSettings) {
  return want.deploymentBranches === 'protected'
    ? { protected_branches: true, custom_branch_policies: false }
    : { protected_branches: false, custom_branch_policies: true };
}

const quoted = (names: string[]) => names.map((n) => `\`${n}\``).join(', ');
const approvals = (n: number) => (n ? `${n} approval${n === 1 ? '' : 's'}` : 'no approval needed');

function describeBranches(want: EnvironmentSettings['deploymentBranches']): string {
  return want === 'protected' ? 'protected branches only' : `${quoted(want)} only`;
}

function describePolicy(cur: CurrentEnvironment): string {
  const p = cur.deploymentBranchPolicy;
  if (!p) return 'all branches';
  if (p.protected_branches) return 'protected branches only';
  const names = cur.branchPolicies.map((b) => (b.type === 'tag' ? `tag ${b.name}` : b.name));
  return names.length ? `${quoted(names)} only` : 'none';
}

const reviewerNames = (rs: Reviewer[]) => (rs.length ? rs.map(reviewerLabel).join(', ') : 'none');
const sameReviewers = (a: Reviewer[], b: Reviewer[]) => {
  const key = (r: Reviewer) => `${r.type}:${r.id}`;
  const keys = new Set(a.map(key));
  return a.length === b.length && b.every((r) => keys.has(key(r)));
};

function planEnvironment(
  plan: SettingsPlan,
  repo: RepoRef,
  want: EnvironmentSettings,
  cur: CurrentEnvironment | null,
  given: Reviewer[] | null,
): void {
  const object = `environment ${want.name}`;
  const reviewers = wantedReviewers(repo, want, cur, given);
  const changes: string[] = [];
  const policy = wantedPolicy(want);
  const wanted =
    `deployment branches: ${describeBranches(want.deploymentBranches)}; ` +
    (reviewers.length ? `reviewers: ${reviewerNames(reviewers)}` : 'no reviewers');
  if (cur) {
    const p = cur.deploymentBranchPolicy;
    if (
      p?.protected_branches !== policy.protected_branches ||
      p?.custom_branch_policies !== policy.custom_branch_policies
    ) {
      const to = want.deploymentBranches === 'protected' ? 'protected branches only' : 'named branches only';
      changes.push(`deployment branches: ${describePolicy(cur)} → ${to}`);
    }
    if (!sameReviewers(cur.reviewers, reviewers)) {
      changes.push(`reviewers: ${reviewerNames(cur.reviewers)} → ${reviewerNames(reviewers)}`);
    }
  }
  if (!cur || changes.length) {
    const body: Record<string, JsonValue> = {};
    // Not ours, but a PUT without them could reset them: sent back as they are.
    if (cur?.waitTimer != null) body.wait_timer = cur.waitTimer;
    if (cur?.preventSelfReview != null) body.prevent_self_review = cur.preventSelfReview;
    if (want.reviewers !== 'kept' || reviewers.length) {
      body.reviewers = reviewers.map((r) => ({ type: r.type, id: r.id }));
    }
    body.deployment_branch_policy = policy;
    const reason = cur ? changes.join('; ') : `create: ${wanted}`;
    plan.writes.push(write(repo, 'PUT', ENVIRONMENT, { environment_name: want.name }, body, object, reason));
  }
  if (want.deploymentBranches !== 'protected') {
    changes.push(...planBranchPolicies(plan, repo, want.name, want.deploymentBranches, cur));
  }
  plan.settings.push({
    kind: 'environment',
    name: want.name,
    action: !cur ? 'create' : changes.length ? 'update' : 'unchanged',
    changes: cur ? changes : [],
    wanted,
  });
}

/** The reviewers an environment ends with: given, kept, or none. */
function wantedReviewers(
  repo: RepoRef,
  want: EnvironmentSettings,
  cur: CurrentEnvironment | null,
  given: Reviewer[] | null,
): Reviewer[] {
  if (want.reviewers === 'none') return [];
  if (want.reviewers === 'kept') return cur?.reviewers ?? [];
  const reviewers = given ?? cur?.reviewers ?? [];
  if (!reviewers.length) {
    throw new InputError(
      `environment ${want.name} of ${repoName(repo)} has no required reviewers, and --reviewers names none`,
      'name who approves production deployments: --reviewers alice,bob or --reviewers team:<slug>; nothing was changed',
    );
  }
  return reviewers;
}

/** Exactly the wanted branches: the missing ones added, any other pattern removed. */
function planBranchPolicies(
  plan: SettingsPlan,
  repo: RepoRef,
  environment: string,
  branches: string[],
  cur: CurrentEnvironment | null,
): string[] {
  const object = `environment ${environment}`;
  const have = cur?.branchPolicies ?? [];
  const changes: string[] = [];
  for (const extra of have.filter((p) => p.type !== 'branch' || !branches.includes(p.name))) {
    const what = `${extra.type === 'tag' ? 'tag' : 'branch'} \`${extra.name}\``;
    plan.writes.push(
      write(
        repo,
        'DELETE',
        BRANCH_POLICY,
        { environment_name: environment, branch_policy_id: extra.id },
        null,
        object,
        `may no longer deploy: ${what}`,
      ),
    );
    changes.push(`deployment branches: remove ${what}`);
  }
  for (const branch of branches.filter((b) => !have.some((p) => p.type === 'branch' && p.name === b))) {
    plan.writes.push(
      write(
        repo,
        'POST',
        BRANCH_POLICIES,
        { environment_name: environment },
        { name: branch, type: 'branch' },
        object,
        `may deploy: branch \`${branch}\``,
      ),
    );
    changes.push(`deployment branches: add \`${branch}\``);
  }
  return changes;
}

// ---- branch protection ----

const logins = (a?: { login: string }[]) => (a ?? []).map((u) => u.login);
const slugs = (a?: ({ slug?: string } | null)[]) => (a ?? []).flatMap((t) => (t?.slug ? [t.slug] : []));
const actors = (a: NonNullable<BranchProtection['restrictions']>) => ({
  users: logins(a.users),
  teams: slugs(a.teams),
  apps: slugs(a.apps),
});

/** Every check the branch requires now, by name (GitHub lists them as contexts and as checks). */
function requiredContexts(cur: BranchProtection | null): string[] {
  const checks = cur?.required_status_checks;
  if (!checks) return [];
  return [...new Set([...(checks.contexts ?? []), ...(checks.checks ?? []).map((c) => c.context)])];
}

function planProtection(
  plan: SettingsPlan,
  repo: RepoRef,
  want: BranchSettings,
  cur: BranchProtection | null,
): void {
  const object = `branch ${want.branch}`;
  const ours = want.checks.map((c) => c.context);
  const have = requiredContexts(cur);
  const missing = ours.filter((c) => !have.includes(c));
  const kept = have.filter((c) => !ours.includes(c));
  const reviews = cur?.required_pull_request_reviews;
  const count = reviews?.required_approving_review_count ?? 0;
  const changes: string[] = [];
  if (missing.length) changes.push(`required checks: add ${quoted(missing)}`);
  if (want.pullRequestApprovals !== null) {
    if (!reviews) changes.push(`pull request required (${approvals(want.pullRequestApprovals)})`);
    else if (count < want.pullRequestApprovals)
      changes.push(`approvals: ${count} → ${want.pullRequestApprovals}`);
  }
  if (want.linearHistory && !cur?.required_linear_history?.enabled) changes.push('linear history required');
  if (kept.length) {
    plan.notes.push(
      `branch ${want.branch} also requires ${quoted(kept)}, which envsync does not set: kept (remove it by hand if no workflow reports it any more)`,
    );
  }
  if (!cur || changes.length) {
    const reason = cur ? changes.join('; ') : `protect: ${describeProtection(want)}`;
    const body = protectionBody(want, cur, [...have, ...missing]);
    plan.writes.push(write(repo, 'PUT', PROTECTION, { branch: want.branch }, body, object, reason));
  }
  plan.settings.push({
    kind: 'branch protection',
    name: want.branch,
    action: !cur ? 'create' : changes.length ? 'update' : 'unchanged',
    changes: cur ? changes : [],
    wanted: describeProtection(want),
  });
}

function describeProtection(want: BranchSettings): string {
  const parts: string[] = [];
  if (want.pullRequestApprovals !== null)
    parts.push(`pull request (${approvals(want.pullRequestApprovals)})`);
  parts.push(`required checks ${quoted(want.checks.map((c) => c.context))}`);
  if (want.linearHistory) parts.push('linear history');
  return parts.join('; ');
}

/** The whole protection a PUT sets: ours raised where it falls short, everything else as it was. */
function protectionBody(want: BranchSettings, cur: BranchProtection | null, contexts: string[]): JsonValue {
  const carried: Record<string, JsonValue> = {};
  if (cur) {
    for (const key of [
      'allow_force_pushes',
      'allow_deletions',
      'block_creations',
      'required_conversation_resolution',
      'lock_branch',
      'allow_fork_syncing',
    ] as const) {
      const setting = cur[key];
      if (setting?.enabled !== undefined) carried[key] = setting.enabled;
    }
  }
  return {
    required_status_checks: { strict: cur?.required_status_checks?.strict ?? false, contexts },
    enforce_admins: cur?.enforce_admins?.enabled ?? false,
    required_pull_request_reviews: reviewsBody(want, cur),
    restrictions: cur?.restrictions ? actors(cur.restrictions) : null,
    required_linear_history: want.linearHistory || (cur?.required_linear_history?.enabled ?? false),
    ...carried,
  };
}

function reviewsBody(want: BranchSettings, cur: BranchProtection | null): JsonValue {
  const reviews = cur?.required_pull_request_reviews;
  if (!reviews) {
    if (want.pullRequestApprovals === null) return null;
    return {
      dismiss_stale_reviews: false,
      require_code_owner_reviews: false,
      required_approving_review_count: want.pullRequestApprovals,
    };
  }
  return {
    dismiss_stale_reviews: reviews.dismiss_stale_reviews ?? false,
    require_code_owner_reviews: reviews.require_code_owner_reviews ?? false,
    required_approving_review_count: Math.max(
      reviews.required_approving_review_count ?? 0,
      want.pullRequestApprovals ?? 0,
    ),
    require_last_push_approval: reviews.require_last_push_approval ?? false,
    ...(reviews.dismissal_restrictions
      ? { dismissal_restrictions: actors(reviews.dismissal_restrictions) }
      : {}),
    ...(reviews.bypass_pull_request_allowances
      ? { bypass_pull_request_allowances: actors(reviews.bypass_pull_request_allowances) }
      : {}),
  };
}
