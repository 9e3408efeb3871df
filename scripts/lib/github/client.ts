// GitHub's REST API as setup-github uses it: reads that count themselves, writes sent one at a
// time, and GitHub's answers turned into our errors — a refusal for rights names the
// permission the token lacks (bad input, exit 2); anything else is the job failing (exit 1).

import { getOctokit } from '@actions/github';
import { type EnvsyncError, InputError, JobError } from '../base/errors.ts';
import type { GitHubWrite } from '../results/setup-github.ts';

export const DEFAULT_API_URL = 'https://api.github.com';

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
  ) {
    this.octokit = getOctokit(token, {
      baseUrl: apiUrl,
      userAgent: 'envsync-setup-github',
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
  async write(w: GitHubWrite): Promise<number> {
    const response = await this.send(w.method, w.route, w.params, w.body ?? undefined);
    return response.status;
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

/** What a token needs for a route, in GitHub's own words (fine-grained permission, classic scope). */
function permissionFor(route: string): { fineGrained: string; classic: string } | null {
  if (route.startsWith('/orgs/'))
    return { fineGrained: 'organization permission "Members: read"', classic: 'read:org' };
  if (route.startsWith('/users/')) return null;
  if (route === '/repos/{owner}/{repo}')
    return { fineGrained: 'repository permission "Metadata: read"', classic: 'repo' };
  return { fineGrained: 'repository permission "Administration: read and write"', classic: 'repo' };
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
  if (error.status === 403 || error.status === 404) {
    const needed = permissionFor(error.route);
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
        `(a classic token: the ${needed.classic} scope${held})${accepted ? ` — GitHub accepts: ${accepted}` : ''}`,
      `give the token that permission (fine-grained: Settings → Developer settings → Personal access tokens → ` +
        `Fine-grained tokens; classic: tick ${needed.classic}), as a user with the admin role on ${repoName(repo)}${already}`,
    );
  }
  const data = error.apiMessage ? `: ${error.apiMessage}` : '';
  return new JobError(
    `GitHub failed ${request} (${error.status}${data})`,
    `the writes before it stand; fix what GitHub names and run it again (it only changes what still differs)${already}`,
  );
}
