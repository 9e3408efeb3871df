// GitHub's REST API as envsync's jobs use it (setup-github, pr-comment): reads that count
// themselves, writes sent one at a time, and GitHub's answers turned into our errors — a refusal
// for rights names the permission the token lacks (bad input, exit 2); anything else is the job
// failing (exit 1). The flags every such job takes (--repo, --api-url, GITHUB_TOKEN) are read here.

import { getOctokit } from '@actions/github';
import { type EnvsyncError, InputError, JobError } from '../base/errors.ts';

export const DEFAULT_API_URL = 'https://api.github.com';

/** A write to the REST API: a path template of GitHub's OpenAPI description, its values, a JSON body. */
export interface WriteRequest {
  method: 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  route: string;
  params: Record<string, string | number>;
  body: unknown;
}

/** Each request may take this long before it counts as failed. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface RepoRef {
  owner: string;
  name: string;
}

export const repoName = (repo: RepoRef) => `${repo.owner}/${repo.name}`;

/** A path template filled in as Octokit fills it: every value percent-encoded. */
export function expandRoute(route: string, params: Record<string, string | number>): string {
  return route.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${route}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
}

/** What GitHub answered instead of a success, with the headers that say why. */
export class GitHubApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    /** null: no answer at all (network, timeout). */
    readonly status: number | null,
    /** GitHub's own message (`Branch not protected`, `Resource not accessible by personal access token`). */
    readonly apiMessage: string,
    readonly headers: Record<string, string>,
    readonly route: string,
  ) {
    super(`${method} ${path}: ${status ?? 'no answer'} ${apiMessage}`);
  }
}

export interface GitHubLog {
  warn(line: string): void;
}

export class GitHubClient {
  /** GET requests made so far. */
  reads = 0;
  private readonly octokit: ReturnType<typeof getOctokit>;

  constructor(
    readonly apiUrl: string,
    token: string,
    log: GitHubLog,
    /** The job calling, named in the User-Agent GitHub logs. */
    job = 'setup-github',
  ) {
    this.octokit = getOctokit(token, {
      baseUrl: apiUrl,
      userAgent: `envsync-${job}`,
      log: {
        debug: () => {},
        info: () => {},
        warn: (m: string) => log.warn(m),
        error: (m: string) => log.warn(m),
      },
    });
  }

  /** A GET; anything but a success throws a GitHubApiError. */
  async get<T>(route: string, params: Record<string, string | number>): Promise<T> {
    this.reads++;
    const response = await this.send('GET', route, params, undefined);
    return response.data as T;
  }

  /** One write, as planned; its status on success. */
  async write(w: WriteRequest): Promise<number> {
    return (await this.writeReturning(w)).status;
  }

  /** One write whose answer is read (a created comment: its id and address). */
  async writeReturning<T>(w: WriteRequest): Promise<{ status: number; data: T }> {
    const response = await this.send(w.method, w.route, w.params, w.body ?? undefined);
    return { status: response.status, data: response.data as T };
  }

  private async send(
    method: string,
    route: string,
    params: Record<string, string | number>,
    body: unknown,
  ): Promise<{ status: number; data: unknown }> {
    try {
      return await this.octokit.request(`${method} ${route}`, {
        ...params,
        ...(body === undefined ? {} : { data: body }),
        headers: { 'x-github-api-version': '2022-11-28' },
        request: { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) },
      });
    } catch (error) {
      throw apiError(method, route, params, error);
    }
  }
}

function apiError(
  method: string,
  route: string,
  params: Record<string, string | number>,
  error: unknown,
): GitHubApiError {
  const path = expandRoute(route.split('?')[0]!, params);
  const e = error as {
    name?: string;
    message?: string;
    status?: number;
    response?: { status: number; headers: Record<string, string>; data: unknown };
  };
  if (!e.response) {
    const why = e.name === 'TimeoutError' || e.name === 'AbortError' ? 'no answer in 30 s' : e.message;
    return new GitHubApiError(method, path, null, why ?? String(error), {}, route);
  }
  const data = e.response.data as { message?: unknown } | string | undefined;
  const message =
    typeof data === 'object' && data && typeof data.message === 'string'
      ? data.message
      : typeof data === 'string' && data
        ? data.slice(0, 200)
        : (e.message ?? '');
  return new GitHubApiError(method, path, e.response.status, message, e.response.headers ?? {}, route);
}

/** What a token needs for a route, in GitHub's own words, and who its user must be. */
interface NeededPermission {
  /** A fine-grained token's: `repository permission "Administration: read and write"`. */
  fineGrained: string;
  /** A classic token's, as a phrase: `the repo scope`. */
  classic: string;
  /** What to tick on a classic token. */
  tick: string;
  /** Who the token's user must be. */
  user: string;
  /** Another way to the permission (a workflow's own GITHUB_TOKEN), when there is one. */
  otherwise?: string;
}

const scope = (name: string) => ({ classic: `the ${name} scope`, tick: name });

/** Issue comments (a pull request's conversation is its issue's). */
const ISSUE_COMMENTS = '/repos/{owner}/{repo}/issues/{issue_number}/comments';

function permissionFor(route: string, repo: RepoRef): NeededPermission | null {
  const admin = `a user with the admin role on ${repoName(repo)}`;
  if (route.startsWith('/orgs/'))
    return { fineGrained: 'organization permission "Members: read"', ...scope('read:org'), user: admin };
  if (route.startsWith('/users/')) return null;
  if (route === '/repos/{owner}/{repo}')
    return { fineGrained: 'repository permission "Metadata: read"', ...scope('repo'), user: admin };
  if (route.startsWith('/repos/{owner}/{repo}/issues/'))
    return {
      fineGrained: 'repository permission "Pull requests: write" (or "Issues: write")',
      classic: 'the repo scope, or public_repo for a public repository',
      tick: 'repo, or public_repo for a public repository',
      user: `a user who may comment on ${repoName(repo)}`,
      otherwise:
        "in a workflow, the job's own GITHUB_TOKEN gets it from `permissions: pull-requests: write` " +
        '(a pull request from a fork only ever gets a read-only token)',
    };
  return {
    fineGrained: 'repository permission "Administration: read and write"',
    ...scope('repo'),
    user: admin,
  };
}

/** The scopes a classic token has, from `X-OAuth-Scopes` (absent for fine-grained tokens and apps). */
function classicScopes(headers: Record<string, string>): string | null {
  const scopes = headers['x-oauth-scopes'];
  if (scopes === undefined) return null;
  return scopes.trim() || 'no scopes';
}

/**
 * GitHub's answer as our error. `sentBefore`: the writes already accepted, named in the hint
 * so a refusal halfway never reads as "nothing changed".
 */
export function describeApiError(error: GitHubApiError, repo: RepoRef, sentBefore: string[]): EnvsyncError {
  const request = `${error.method} ${error.path}`;
  const answer = `${error.status} ${error.apiMessage}`.trim();
  const already = sentBefore.length
    ? `; already sent and kept: ${sentBefore.join(', ')}`
    : '; nothing was changed';
  if (error.status === null) {
    return new JobError(
      `GitHub did not answer ${request}: ${error.apiMessage}`,
      `check --api-url and the network, then run it again (it only changes what still differs)${already}`,
    );
  }
  if (error.status === 401) {
    return new InputError(
      `GitHub refused GITHUB_TOKEN (${answer})`,
      `the token is wrong, expired or revoked: create a new one and set GITHUB_TOKEN${already}`,
    );
  }
  if (error.status === 429 || (error.status === 403 && error.headers['x-ratelimit-remaining'] === '0')) {
    const reset = Number(error.headers['x-ratelimit-reset']);
    const when = Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : '';
    return new JobError(
      `GitHub's rate limit stopped ${request}${when} (${answer})`,
      `run it again later: it only changes what still differs${already}`,
    );
  }
  if (error.status === 403 && /upgrade to github pro|make this repository public/i.test(error.apiMessage)) {
    return new InputError(
      `GitHub refused ${request} (${answer}): ${repoName(repo)} is private on a plan without this feature`,
      `make it public, or move it to GitHub Pro, Team or Enterprise (branch protection and environment reviewers on private repositories need one)${already}`,
    );
  }
  if (error.status === 404 && error.route === '/repos/{owner}/{repo}') {
    return new InputError(
      `GitHub has no repository ${repoName(repo)} that this token can see (${answer})`,
      `check --repo; a fine-grained token must list ${repoName(repo)} under Repository access, a classic token needs the repo scope for a private repository${already}`,
    );
  }
  if (error.status === 404 && error.method === 'GET' && error.route === ISSUE_COMMENTS) {
    const number = /\/issues\/([^/]+)\//.exec(error.path)?.[1] ?? '?';
    return new InputError(
      `GitHub has no pull request ${repoName(repo)}#${number} that this token can see (${answer})`,
      `check --pr and --repo; a fine-grained token must list ${repoName(repo)} under Repository access with "Pull requests: read", a classic token needs the repo scope for a private repository${already}`,
    );
  }
  if (error.status === 403 && /\blocked\b/i.test(error.apiMessage)) {
    return new InputError(
      `GitHub refused ${request} (${answer}): the conversation is locked`,
      `unlock the conversation (or leave it locked: the comment then waits), then run it again${already}`,
    );
  }
  if (error.status === 403 || error.status === 404) {
    const needed = permissionFor(error.route, repo);
    if (!needed) {
      return new InputError(
        `GitHub has no ${error.path.replace(/^\/users\//, 'user ')} (${answer})`,
        `check the name${already}`,
      );
    }
    const scopes = classicScopes(error.headers);
    const accepted = error.headers['x-accepted-github-permissions'];
    const held = scopes === null ? '' : `; this classic token has: ${scopes}`;
    return new InputError(
      `GitHub refused ${request} (${answer}): the token needs the ${needed.fineGrained} on ${repoName(repo)} ` +
        `(a classic token: ${needed.classic}${held})${accepted ? ` — GitHub accepts: ${accepted}` : ''}`,
      `give the token that permission (fine-grained: Settings → Developer settings → Personal access tokens → ` +
        `Fine-grained tokens; classic: tick ${needed.tick}), as ${needed.user}` +
        `${needed.otherwise ? `; ${needed.otherwise}` : ''}${already}`,
    );
  }
  const data = error.apiMessage ? `: ${error.apiMessage}` : '';
  return new JobError(
    `GitHub failed ${request} (${error.status}${data})`,
    `the writes before it stand; fix what GitHub names and run it again (it only changes what still differs)${already}`,
  );
}

// ---- the flags of a job that calls GitHub ----

const REPO = /^([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})\/([A-Za-z0-9._-]{1,100})$/;

/** `--repo owner/name` (GitHub's rules for both; a trailing `.git` dropped). */
export function parseRepo(value: unknown, flag = '--repo'): RepoRef {
  const hint = `name the repository as owner/name: ${flag} acme/shop`;
  if (typeof value !== 'string') throw new InputError(`${flag} is required`, hint);
  const m = REPO.exec(value);
  if (!m || m[2] === '.' || m[2] === '..') throw new InputError(`${flag} ${value} is not owner/name`, hint);
  return { owner: m[1]!, name: m[2]!.replace(/\.git$/, '') };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `--api-url`, else GITHUB_API_URL, else api.github.com: https, or http on this machine only (the token must not cross a network in clear). */
export function parseApiUrl(value: unknown, env: NodeJS.ProcessEnv): string {
  const raw = typeof value === 'string' ? value : env.GITHUB_API_URL || DEFAULT_API_URL;
  const hint = `give the REST API's base URL: ${DEFAULT_API_URL}, or https://<host>/api/v3 for GitHub Enterprise Server`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(`--api-url ${raw} is not a URL`, hint);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new InputError(
      `--api-url ${raw} must be a plain base URL (no credentials, query or fragment)`,
      hint,
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new InputError(`--api-url ${raw} is not https: the token would be sent in clear`, hint);
  }
  return url.href.replace(/\/+$/, '');
}

/** GITHUB_TOKEN, a secret; `hint` says which rights the job's token needs. */
export function requireToken(env: NodeJS.ProcessEnv, hint: string): string {
  const token = env.GITHUB_TOKEN?.trim();
  if (!token) throw new InputError('GITHUB_TOKEN is not set', hint);
  if (/\s/.test(token)) throw new InputError('GITHUB_TOKEN holds whitespace', 'set it to the token alone');
  return token;
}
