// Who approves a production deployment: `--reviewers alice,bob,team:ops` read into users and
// teams (teams of the repository's organization), and found on GitHub by their ids.

import { InputError } from '../base/errors.ts';
import { type GitHubApiError, type GitHubClient, type RepoRef, repoName } from './client.ts';

export type ReviewerSpec = { type: 'User'; login: string } | { type: 'Team'; slug: string };

/** A reviewer as an environment holds it: GitHub's id, and the login or team slug for people. */
export interface Reviewer {
  type: 'User' | 'Team';
  id: number;
  name: string;
}

/** GitHub allows at most six reviewers on an environment. */
const MAX_REVIEWERS = 6;

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const TEAM_SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export const reviewerLabel = (r: { type: 'User' | 'Team'; name: string }) =>
  r.type === 'Team' ? `team:${r.name}` : r.name;

/** `alice,team:ops` → a user and a team; every bad entry reported at once. */
export function parseReviewers(value: string): ReviewerSpec[] {
  const entries = value.split(',').map((s) => s.trim());
  const bad = entries.filter((e) => {
    const team = /^team:(.*)$/.exec(e);
    return team ? !TEAM_SLUG.test(team[1]!) : !LOGIN.test(e);
  });
  const hint =
    'list GitHub logins and teams of the organization, comma-separated: --reviewers alice,team:ops';
  if (bad.length) {
    throw new InputError(
      `--reviewers: ${bad.map((b) => (b ? `'${b}'` : 'an empty entry')).join(', ')} ${bad.length > 1 ? 'are' : 'is'} not a GitHub login or team:<slug>`,
      hint,
    );
  }
  const specs = [...new Set(entries)].map(
    (e): ReviewerSpec =>
      e.startsWith('team:') ? { type: 'Team', slug: e.slice(5) } : { type: 'User', login: e },
  );
  if (specs.length > MAX_REVIEWERS) {
    throw new InputError(`--reviewers names ${specs.length} reviewers; GitHub allows ${MAX_REVIEWERS}`, hint);
  }
  return specs;
}

/** Each reviewer's id (a user's by login, a team's by slug in the repository's organization). */
export async function resolveReviewers(
  api: GitHubClient,
  repo: RepoRef,
  ownerIsOrganization: boolean,
  specs: ReviewerSpec[],
): Promise<Reviewer[]> {
  const teams = specs.filter((s) => s.type === 'Team');
  if (teams.length && !ownerIsOrganization) {
    throw new InputError(
      `--reviewers: ${teams.map((t) => `team:${t.slug}`).join(', ')}: ${repo.owner} is a user, and only an organization has teams`,
      'name the users who approve production deployments',
    );
  }
  const reviewers: Reviewer[] = [];
  for (const spec of specs) {
    if (spec.type === 'User') {
      const user = await api
        .get<{ id: number; login: string; type: string }>('/users/{username}', { username: spec.login })
        .catch(notFound(`GitHub has no user ${spec.login}`, 'check the login (--reviewers)'));
      if (user.type !== 'User') {
        throw new InputError(
          `--reviewers: ${spec.login} is an ${user.type}, not a user`,
          'name people or team:<slug>',
        );
      }
      reviewers.push({ type: 'User', id: user.id, name: user.login });
    } else {
      const team = await api
        .get<{ id: number; slug: string }>('/orgs/{org}/teams/{team_slug}', {
          org: repo.owner,
          team_slug: spec.slug,
        })
        .catch(
          notFound(
            `--reviewers: no team ${spec.slug} in ${repo.owner}, or the token cannot see it`,
            `check the slug (the team's URL ends in it); a fine-grained token needs the organization permission "Members: read", a classic one read:org, to look up a team of ${repoName(repo)}'s organization`,
          ),
        );
      reviewers.push({ type: 'Team', id: team.id, name: team.slug });
    }
  }
  return reviewers;
}

/** A 404 as the bad input it is; anything else as it came. */
function notFound(message: string, hint: string): (error: unknown) => never {
  return (error) => {
    if ((error as GitHubApiError).status === 404) throw new InputError(message, hint);
    throw error;
  };
}
