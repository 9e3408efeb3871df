// A pull request's one plan comment on GitHub: the marker that makes a comment ours, who the
// token's user is, the conversation read page by page, and the one write that brings our comment
// up to date — none when it already says the same, a new one only when there is none.

import type { CommentRequest } from '../results/pr-comment.ts';
import { expandRoute, GitHubApiError, type GitHubClient, type RepoRef, type WriteRequest } from './client.ts';

const COMMENTS = '/repos/{owner}/{repo}/issues/{issue_number}/comments';
const COMMENT = '/repos/{owner}/{repo}/issues/comments/{comment_id}';
const PER_PAGE = 100;

/**
 * `<!-- envsync:plan:main -->`: one comment per pull request and branch it merges into. Anything
 * but a branch name's plain characters is replaced, so the HTML comment cannot be closed early.
 */
export function planMarker(base: string): string {
  return `<!-- envsync:plan:${base.replace(/[^\w./-]/g, '_').replace(/-{2,}/g, '-')} -->`;
}

export interface IssueComment {
  id: number;
  body: string;
  /** The login of who wrote it; null for a deleted account ("ghost"). */
  author: string | null;
  url: string;
}

interface RawComment {
  id: number;
  body?: string;
  user: { login: string } | null;
  html_url: string;
}

const asComment = (c: RawComment): IssueComment => ({
  id: c.id,
  body: c.body ?? '',
  author: c.user?.login ?? null,
  url: c.html_url,
});

/**
 * The token's user (`GET /user`), whose comments alone count as ours; null when GitHub does not
 * say — a workflow's GITHUB_TOKEN and other app tokens get a 403 there.
 */
export async function tokenUser(api: GitHubClient): Promise<string | null> {
  try {
    return (await api.get<{ login: string }>('/user', {})).login;
  } catch (error) {
    if (error instanceof GitHubApiError && (error.status === 403 || error.status === 404)) return null;
    throw error;
  }
}

/** Every comment of the pull request's conversation, oldest first. */
export async function listComments(api: GitHubClient, repo: RepoRef, pr: number): Promise<IssueComment[]> {
  const all: IssueComment[] = [];
  for (let page = 1; ; page++) {
    const comments = await api.get<RawComment[]>(COMMENTS, {
      owner: repo.owner,
      repo: repo.name,
      issue_number: pr,
      per_page: PER_PAGE,
      page,
    });
    all.push(...comments.map(asComment));
    if (comments.length < PER_PAGE) return all;
  }
}

export interface CommentWrite {
  action: 'create' | 'update' | 'unchanged';
  /** The comment that is ours (the oldest with the marker, by the token's user when known). */
  found: IssueComment | null;
  /** Further comments that are ours by the same rule, left as they are. */
  otherMarked: number;
  /** null when unchanged. */
  request: (WriteRequest & CommentRequest & { body: { body: string } }) | null;
}

/** GitHub keeps a comment's text as sent; line endings and trailing space are not worth a write. */
const sameText = (a: string, b: string) =>
  a.replace(/\r\n/g, '\n').trimEnd() === b.replace(/\r\n/g, '\n').trimEnd();

/** Pure: our comment among `comments`, and the write (if any) that makes it say `body`. */
export function planCommentWrite(
  repo: RepoRef,
  pr: number,
  comments: IssueComment[],
  marker: string,
  author: string | null,
  body: string,
): CommentWrite {
  const ours = comments.filter(
    (c) => c.body.trimStart().startsWith(marker) && (author === null || c.author === author),
  );
  const found = ours[0] ?? null;
  const otherMarked = Math.max(0, ours.length - 1);
  if (found && sameText(found.body, body)) return { action: 'unchanged', found, otherMarked, request: null };
  const base = { owner: repo.owner, repo: repo.name };
  const [method, route, params] = found
    ? (['PATCH', COMMENT, { ...base, comment_id: found.id }] as const)
    : (['POST', COMMENTS, { ...base, issue_number: pr }] as const);
  return {
    action: found ? 'update' : 'create',
    found,
    otherMarked,
    request: { method, route, params, path: expandRoute(route, params), body: { body } },
  };
}
