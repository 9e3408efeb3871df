// setup-github.json: the repository's environments and branch protection as found, what
// setup-github changed (or, on a dry run, would change), and every write request it made.
// A result type only: renderers read it from here, never from the job that produces it.

/** A JSON request body as sent to GitHub. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One write to GitHub's REST API. */
export interface GitHubWrite {
  method: 'PUT' | 'POST' | 'DELETE';
  /** The path template of GitHub's OpenAPI description: `/repos/{owner}/{repo}/environments/{environment_name}`. */
  route: string;
  /** The template's values (owner, repo, environment_name, branch, branch_policy_id). */
  params: Record<string, string | number>;
  /** The path as sent, its values percent-encoded: `/repos/acme/shop/environments/production`. */
  path: string;
  body: JsonValue | null;
  /** What it is about: `environment production`, `branch main`. */
  object: string;
  /** What it changes, for people. */
  reason: string;
}

/** What happens to one environment or protected branch. */
export interface SettingChange {
  kind: 'environment' | 'branch protection';
  /** The environment's or the branch's name. */
  name: string;
  action: 'create' | 'update' | 'unchanged';
  /** What differs (empty when unchanged). */
  changes: string[];
  /** The setting as it is once the writes are done, in a line. */
  wanted: string;
}

export interface SetupGitHubResult {
  /** `owner/name`. */
  repo: string;
  /** The REST API's base URL. */
  apiUrl: string;
  dryRun: boolean;
  /** Every environment and protected branch envsync manages, in the order they are written. */
  settings: SettingChange[];
  /** The writes, in order: all of them on a dry run (none sent), else those that were needed. */
  writes: GitHubWrite[];
  /** How many of `writes` were sent and accepted (0 on a dry run). */
  sent: number;
  /** The write GitHub failed (not a refusal for rights: that is bad input, exit 2); the writes after it were not sent. */
  failed: { index: number; status: number | null; message: string } | null;
  /** How many GET requests it took to read the current settings. */
  reads: number;
  /** What is left as it was on purpose and deserves a look (a required check envsync did not set). */
  notes: string[];
  durationMs: number;
}
