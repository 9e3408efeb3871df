// pr-comment.json: which plan went to which pull request, and how — the one plan comment created,
// updated, or left as it was because it already said the same — with the comment's text.
// A result type only: renderers read it from here, never from the job that produces it.

import type { JobRecord } from './job-record.ts';
import type { LintMigrationsResult } from './lint-migrations.ts';
import type { ProductionPlanResult } from './production-plan.ts';

/** The `<job>.json` read from --plan: a production plan, or a lint of the migrations alone. */
export type CommentedPlan =
  | { job: 'production-plan'; record: JobRecord<ProductionPlanResult> }
  | { job: 'lint-migrations'; record: JobRecord<LintMigrationsResult> };

/** Where the comment's text comes from and what goes around it. */
export interface PlanComment {
  /** The first line of the comment: `<!-- envsync:plan:main -->`; the upsert finds its comment by it. */
  marker: string;
  /** The branch the pull request merges into; null when unknown (a local run with --pr). */
  base: string | null;
  /** The workflow run that made the comment (GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID). */
  runUrl: string | null;
}

/** The one write, as sent (or, on a dry run, as it would be): the comment's text is `body`. */
export interface CommentRequest {
  method: 'POST' | 'PATCH';
  /** The path as sent: `/repos/acme/shop/issues/7/comments`, `/repos/acme/shop/issues/comments/12`. */
  path: string;
}

export interface PrCommentResult {
  /** `owner/name`. */
  repo: string;
  pr: number;
  apiUrl: string;
  /** The --plan directory and the record read from it. */
  plan: {
    dir: string;
    job: CommentedPlan['job'];
    /** The plan job's own status: a plan that refuses a deploy is commented as much as one that allows it. */
    status: 'ok' | 'failed' | 'error';
  };
  marker: string;
  dryRun: boolean;
  /**
   * create: no comment of ours had the marker; update: ours said something else; unchanged: ours
   * already says exactly this (nothing is sent).
   */
  action: 'create' | 'update' | 'unchanged';
  /** null when unchanged. */
  request: CommentRequest | null;
  /** The write was sent and accepted (false on a dry run and when unchanged). */
  sent: boolean;
  /** The comment as it is now (null: a dry run that would create one). */
  comment: { id: number; url: string } | null;
  /** The token's user, whose comments alone are ours; null when GitHub does not say (a workflow's GITHUB_TOKEN): then the marker alone. */
  author: string | null;
  /** How many comments the pull request has (all read, page by page). */
  commentsRead: number;
  /** Further comments with the marker, left as they are (only the oldest is kept up to date). */
  otherMarked: number;
  /** Cut to GitHub's limit for a comment: the whole plan is in the run. */
  truncated: boolean;
  /** The comment's text, as sent or as it would be. */
  body: string;
  reads: number;
  durationMs: number;
}
