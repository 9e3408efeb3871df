// validate-env.json: what a workflow's jobs need from the environment, and what this process
// holds for each name — never a value. A result type only: renderers read it from here, never
// from the job that produces it.

/**
 * `present` and well-formed (and reachable, with --connect); `missing` (unset or empty);
 * `malformed`; `unreachable` (--connect could not connect); `unset`: not set, and allowed to be.
 */
export type NameStatus = 'present' | 'missing' | 'malformed' | 'unreachable' | 'unset';

/** What a name's value must look like, read from the name. */
export type NameKind = 'database-url' | 'backup-key' | 'https-url' | 'supabase-key' | 'other';

export interface NameCheck {
  /** The environment variable the job's steps read. */
  name: string;
  status: NameStatus;
  kind: NameKind;
  /** What was found, never the value: a database's display form, a URL's host, a key's kind, or what is wrong. */
  detail: string;
  /** What the workflow maps into it: `secrets.X`, `vars.Y`. */
  from: string[];
  jobs: string[];
  /** Why it may be unset, when it may. */
  optional?: string;
  /** Mapped only in a step's `env:` (another step than validate-env's), named here. */
  stepOnly?: string;
  /** With --connect, a database URL that connected: how long connect + `select 1` took. */
  latencyMs?: number;
}

/** A secret or variable a job uses in `with:`, `run:` or elsewhere without mapping it into the environment. */
export interface DirectUse {
  /** `secrets.X` or `vars.Y`. */
  ref: string;
  job: string;
  /** Where in the job: `run of step "deploy"`, `with.token of step "checkout"`. */
  where: string;
}

/** A name the workflow maps, but not with these inputs (`inputs.source == 'dev' && secrets.X || ''`). */
export interface UnmappedName {
  name: string;
  from: string[];
  jobs: string[];
}

export interface ValidateEnvResult {
  /** The workflow file, from the repository root. */
  workflow: string;
  /** What was asked for: an environment, a job, or (both null) every job. */
  scope: { environment: string | null; job: string | null };
  /** The jobs checked and the environment each runs in (null: none, repository secrets only). */
  jobs: { id: string; environment: string | null }[];
  /** The inputs the workflow's expressions were evaluated with. */
  inputs: Record<string, string | number | boolean | null>;
  /** --connect: database URLs were connected to. */
  connect: boolean;
  checks: NameCheck[];
  direct: DirectUse[];
  unmapped: UnmappedName[];
  /** What could not be checked from the workflow (a reusable workflow's call, a computed secret name). */
  notes: string[];
}
