// production-plan.json: what a production deploy will do — the pending migrations with their
// lint findings, production's drift from the migrations it has, the content a sync would write —
// and the hash over all of it that the deploy recomputes before writing: approvers approve exactly
// what they saw. A result type only: renderers read it from here, never from the job.

import type { LintFinding } from './lint-migrations.ts';
import type { MigrationState } from './migrate.ts';

export interface PlannedMigration {
  version: string;
  name: string;
  file: string;
  /** sha256 of the file's bytes: an edit after approval changes the hash. */
  sha256: string;
  findings: LintFinding[];
}

export interface PlannedContentTable {
  table: string;
  new: number;
  changed: number;
  onlyOnTarget: number;
  delete: 'keep' | 'delete';
  /** Protected rows that reference rows the sync would delete: the deploy would be refused. */
  blockedBy: string[];
}

/** What the hash covers, nothing else (no names, addresses, times: the deploy connects as another role). */
export interface PlanDecisions {
  pending: { version: string; name: string; sha256: string }[];
  schemaFingerprint: string;
  drift: { drifted: boolean; allowed: boolean; differences: string[] };
  content: {
    tables: { table: string; new: number; changed: number; onlyOnTarget: number }[];
    fingerprints: { source: string; target: string };
  } | null;
  contentDeferred: string | null;
}

export interface ProductionPlanResult {
  target: { name: string; display: string };
  /** The content source (staging); null when envsync.yaml lists no content or --source is not given. */
  source: { name: string; display: string } | null;
  /** The commit and workflow run the plan was made in (GITHUB_SHA, GITHUB_RUN_ID); null locally. */
  commit: string | null;
  runId: string | null;
  createdAt: string;
  pending: PlannedMigration[];
  /** Versions whose state on production is not applied or pending (edited, out of order, missing locally). */
  migrationProblems: { version: string; name: string; state: MigrationState }[];
  drift: {
    /** false: production has no migration applied yet, nothing to replay. */
    checked: boolean;
    drifted: boolean;
    /** --allow-drift: the dispatch said to deploy onto it anyway. */
    allowed: boolean;
    /** `kind object: change`, as drift reported them. */
    differences: string[];
  };
  content: { tables: PlannedContentTable[]; fingerprints: { source: string; target: string } } | null;
  /** Why the content is not planned now (a content table a pending migration creates). */
  contentDeferred: string | null;
  schemaFingerprint: string;
  /** What the hash covers. */
  decisions: PlanDecisions;
  /** sha256 over `decisions`. */
  hash: string;
  /** Something to deploy: a pending migration or a content row to write. */
  changes: boolean;
  /** Why this plan must not be deployed (empty: it may). */
  refused: string[];
  /** --verify: the approved plan's hash against this one's. */
  verified: { plan: string; hash: string; equal: boolean; differs: string[] } | null;
  durationMs: number;
}
