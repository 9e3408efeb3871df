// Reads what a repository has now — the repository itself, its environments with their
// deployment branch policies and reviewers, its branches' protection — before anything is
// written: the plan compares with this, and a token that cannot read it stops here.

import { InputError } from '../base/errors.ts';
import { GitHubApiError, type GitHubClient, type RepoRef, repoName } from './client.ts';
import type { BranchSettings, EnvironmentSettings } from './repository-settings.ts';
import type { Reviewer } from './reviewers.ts';

export interface DeploymentBranchPolicy {
  protected_branches: boolean;
  custom_branch_policies: boolean;
}

/** A name pattern an environment's custom deployment branch policy allows. */
export interface BranchPolicy {
  id: number;
  name: string;
  type: 'branch' | 'tag';
}

export interface CurrentEnvironment {
  /** As GitHub spells it (names are matched without regard to case). */
  name: string;
  /** null: every branch may deploy. */
  deploymentBranchPolicy: DeploymentBranchPolicy | null;
  branchPolicies: BranchPolicy[];
  reviewers: Reviewer[];
  waitTimer: number | null;
  preventSelfReview: boolean | null;
}

interface Enabled {
  enabled?: boolean;
}

interface Actors {
  users?: { login: string }[];
  teams?: { slug: string }[];
  apps?: ({ slug?: string } | null)[];
}

/** The part of GitHub's branch protection (GET …/protection) that a PUT must carry over. */
export interface BranchProtection {
  required_status_checks?: {
    strict?: boolean;
    contexts?: string[];
    checks?: { context: string; app_id: number | null }[];
  };
  enforce_admins?: Enabled;
  required_pull_request_reviews?: {
    dismiss_stale_reviews?: boolean;
    require_code_owner_reviews?: boolean;
    required_approving_review_count?: number;
    require_last_push_approval?: boolean;
    dismissal_restrictions?: Actors;
    bypass_pull_request_allowances?: Actors;
  };
  restrictions?: Actors;
  required_linear_history?: Enabled;
  allow_force_pushes?: Enabled;
  allow_deletions?: Enabled;
  block_creations?: Enabled;
  required_conversation_resolution?: Enabled;
  lock_branch?: Enabled;
  allow_fork_syncing?: Enabled;
}

export interface CurrentSettings {
  /** Keyed by our environment names; null: it does not exist. */
  environments: Record<string, CurrentEnvironment | null>;
  /** Keyed by branch; null: the branch is not protected. */
  protections: Record<string, BranchProtection | null>;
}

export interface Repository {
  ownerIsOrganization: boolean;
}

/** The repository, and whether the token's user may administer it (checked before anything else). */
export async function readRepository(api: GitHubClient, repo: RepoRef): Promise<Repository> {
  const r = await api.get<{
    owner?: { type?: string };
    permissions?: { admin?: boolean; maintain?: boolean; push?: boolean };
  }>('/repos/{owner}/{repo}', { owner: repo.owner, repo: repo.name });
  if (r.permissions && r.permissions.admin === false) {
    const role = r.permissions.maintain ? 'maintain' : r.permissions.push ? 'write' : 'read';
    throw new InputError(
      `the token's user has the ${role} role on ${repoName(repo)}; environments and branch protection need admin`,
      `run it with a token of a repository admin (or ask one to run it); nothing was changed`,
    );
  }
  return { ownerIsOrganization: r.owner?.type === 'Organization' };
}

export async function readCurrentSettings(
  api: GitHubClient,
  repo: RepoRef,
  environments: EnvironmentSettings[],
  branches: BranchSettings[],
): Promise<CurrentSettings> {
  const existing = await listEnvironments(api, repo);
  const current: CurrentSettings = { environments: {}, protections: {} };
  for (const want of environments) {
    const found = existing.find((e) => e.name.toLowerCase() === want.name.toLowerCase());
    current.environments[want.name] = found
      ? await readEnvironment(api, repo, found, want.deploymentBranches !== 'protected')
      : null;
  }
  const missing: string[] = [];
  for (const { branch } of branches) {
    const protection = await readProtection(api, repo, branch);
    if (protection === 'missing') missing.push(branch);
    else current.protections[branch] = protection;
  }
  if (missing.length) {
    throw new InputError(
      `${repoName(repo)} has no branch ${missing.join(', ')}: only an existing branch can be protected`,
      `create ${missing.length > 1 ? 'them' : 'it'} from main first (git push origin main:${missing[0]}), then run it again; nothing was changed`,
    );
  }
  return current;
}

interface RawEnvironment {
  name: string;
  deployment_branch_policy?: DeploymentBranchPolicy | null;
  protection_rules?: {
    type: string;
    wait_timer?: number;
    prevent_self_review?: boolean;
    reviewers?: { type?: 'User' | 'Team'; reviewer?: { id: number; login?: string; slug?: string } }[];
  }[];
}

async function listEnvironments(api: GitHubClient, repo: RepoRef): Promise<RawEnvironment[]> {
  const all: RawEnvironment[] = [];
  for (let page = 1; ; page++) {
    const { total_count = 0, environments = [] } = await api.get<{
      total_count?: number;
      environments?: RawEnvironment[];
    }>('/repos/{owner}/{repo}/environments', { owner: repo.owner, repo: repo.name, per_page: 100, page });
    all.push(...environments);
    if (environments.length < 100 || all.length >= total_count) return all;
  }
}

async function readEnvironment(
  api: GitHubClient,
  repo: RepoRef,
  raw: RawEnvironment,
  customPolicies: boolean,
): Promise<CurrentEnvironment> {
  const rules = raw.protection_rules ?? [];
  const reviewRule = rules.find((r) => r.type === 'required_reviewers');
  const waitRule = rules.find((r) => r.type === 'wait_timer');
  return {
    name: raw.name,
    deploymentBranchPolicy: raw.deployment_branch_policy ?? null,
    branchPolicies: customPolicies ? await readBranchPolicies(api, repo, raw.name) : [],
    reviewers: (reviewRule?.reviewers ?? []).flatMap((r) =>
      r.reviewer && r.type
        ? [
            {
              type: r.type,
              id: r.reviewer.id,
              name: r.reviewer.login ?? r.reviewer.slug ?? String(r.reviewer.id),
            },
          ]
        : [],
    ),
    waitTimer: waitRule?.wait_timer ?? null,
    preventSelfReview: reviewRule?.prevent_self_review ?? null,
  };
}

/** The name patterns of an environment's custom policy; none when it has no custom policy (404). */
async function readBranchPolicies(
  api: GitHubClient,
  repo: RepoRef,
  environment: string,
): Promise<BranchPolicy[]> {
  const route = '/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies';
  const all: BranchPolicy[] = [];
  for (let page = 1; ; page++) {
    const params = { owner: repo.owner, repo: repo.name, environment_name: environment, per_page: 100, page };
    const answer = await api
      .get<{ total_count: number; branch_policies: BranchPolicy[] }>(route, params)
      .catch((error: unknown) => {
        if (error instanceof GitHubApiError && error.status === 404 && page === 1) return null;
        throw error;
      });
    if (!answer) return [];
    all.push(...answer.branch_policies.map((p) => ({ id: p.id, name: p.name, type: p.type ?? 'branch' })));
    if (answer.branch_policies.length < 100 || all.length >= answer.total_count) return all;
  }
}

/** A branch's protection; null when it has none, `missing` when there is no such branch. */
async function readProtection(
  api: GitHubClient,
  repo: RepoRef,
  branch: string,
): Promise<BranchProtection | null | 'missing'> {
  try {
    return await api.get<BranchProtection>('/repos/{owner}/{repo}/branches/{branch}/protection', {
      owner: repo.owner,
      repo: repo.name,
      branch,
    });
  } catch (error) {
    if (error instanceof GitHubApiError && error.status === 404) {
      if (/branch not protected/i.test(error.apiMessage)) return null;
      if (/branch not found/i.test(error.apiMessage)) return 'missing';
    }
    throw error;
  }
}
