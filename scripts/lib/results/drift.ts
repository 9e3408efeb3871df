// drift.json: how an environment differs from what its migrations make (or from another
// environment), object by object through the catalog model, and what plpgsql_check found in
// the function bodies the migrations define.
// A result type only: renderers read it from here, never from the job that produces it.

import type { ObjectDifference } from './plan.ts';

/** `migrations`: --db against the replayed --dir; `environments`: --target against --source. */
export type DriftMode = 'migrations' | 'environments';

export interface DriftSide {
  /** `staging`, `url` when given by URL, or `migrations` for the replayed directory. */
  name: string;
  /** The database's address without its password, or the migrations directory. */
  display: string;
}

/** The migrations applied to a throwaway cluster on the platform fixture, as `migrate` applies them. */
export interface MigrationReplay {
  dir: string;
  /** The migration files applied, in version order. */
  files: string[];
  /** Entries of the directory that are not migrations (skipped, as the CLI skips them). */
  skipped: string[];
}

/** plpgsql_check's level: `error`, `warning`, `warning extra`, `performance`, `security`, … */
export type FunctionProblemLevel = string;

export interface FunctionProblem {
  /** `schema.name(argument types)`, as the catalog model keys functions. */
  function: string;
  /** For a trigger function: the table of the trigger it was checked for. */
  relation: string | null;
  level: FunctionProblemLevel;
  /** Line in the function's body (1 is the line `$$` opens), when known. */
  line: number | null;
  /** The kind of plpgsql statement (`SQL statement`, `assignment`, `PERFORM`, …). */
  statement: string | null;
  sqlstate: string | null;
  message: string;
  detail: string | null;
  hint: string | null;
  /** The query the problem is in, and the position in it, when it is in one. */
  query: string | null;
  position: number | null;
  context: string | null;
}

/** The plpgsql function bodies of the replayed app schemas, checked with plpgsql_check. */
export interface FunctionCheck {
  /** plpgsql_check is installed on the throwaway cluster's server. */
  available: boolean;
  /** Its version, when available. */
  version: string | null;
  /** Why nothing was checked, when so. */
  note: string | null;
  /** plpgsql functions and procedures checked. */
  functions: number;
  /** Checks run: one per function, a trigger function's once per table its triggers fire on. */
  checks: number;
  /** Functions plpgsql_check could not check, and why (a trigger function no trigger uses). */
  unchecked: { function: string; reason: string }[];
  problems: FunctionProblem[];
}

export interface DriftResult {
  mode: DriftMode;
  /** What the environment should be: the replayed migrations (`migrations`, its dir) or --source. */
  expected: DriftSide;
  /** The environment checked: --db, or --target. */
  actual: DriftSide;
  /** migrations mode: what was replayed; null when two environments are compared. */
  replay: MigrationReplay | null;
  /**
   * Through catalog/diff.ts with the expected side as source: `missing on target` — the expected
   * side has it and the environment lacks it; `only on target` — only the environment has it.
   */
  differences: ObjectDifference[];
  /** Each side's PostgreSQL version (the replay's: this machine's server binaries). */
  serverVersions: { expected: string; actual: string };
  /** Objects of the catalog model compared on each side. */
  objectsCompared: { expected: number; actual: number };
  drifted: boolean;
  /** migrations mode: the function bodies checked; null when two environments are compared. */
  functionCheck: FunctionCheck | null;
  timings: {
    /** Starting the throwaway cluster with the platform fixture (migrations mode). */
    clusterMs: number | null;
    /** Applying the migrations there with the migrate core (migrations mode). */
    migrationsMs: number | null;
    /** Reading each side's catalog (in migrations mode the environment's during the replay). */
    expectedCatalogMs: number;
    actualCatalogMs: number;
    functionCheckMs: number | null;
    totalMs: number;
  };
}
