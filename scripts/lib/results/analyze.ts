// analyze.json: one database's catalog inventory with its counts and what needs attention.
// A result type only: renderers read it from here, never from the job that produces it.

import type { ForeignKey, Inventory } from '../catalog/model.ts';

export interface InventoryCounts {
  app: ObjectCounts;
  platform: ObjectCounts;
  extensions: number;
  eventTriggers: number;
  defaultPrivileges: number;
}

export interface ObjectCounts {
  schemas: number;
  tables: number;
  rows: number;
  sizeBytes: number;
  views: number;
  matviews: number;
  functions: number;
  triggers: number;
  policies: number;
  sequences: number;
  enums: number;
  grants: number;
}

export type AttentionKind =
  | 'fk-cycle'
  | 'no-primary-key'
  | 'rls-without-policies'
  | 'exposed-without-rls'
  | 'trigger-on-platform-table'
  | 'policy-on-platform-table'
  | 'unreadable-table'
  | 'matview-not-populated';

export interface AttentionItem {
  kind: AttentionKind;
  /** `schema.table` (or the cycle's tables joined with ↔). */
  object: string;
  message: string;
}

/** A content candidate: an app table that references no users' table, directly or transitively. */
export interface SuggestedContentTable {
  /** `schema.table`. */
  table: string;
  /** Its primary key; null when it has none (envsync.yaml must then name a key). */
  key: string[] | null;
  /** Rows only the target has are kept: a suggestion never deletes. */
  delete: 'keep';
  /** The users' tables whose FKs point at it, and what deleting one of its rows does to theirs. */
  referencedBy: { table: string; onDelete: ForeignKey['onDelete'] }[];
}

/** A starting `content.tables` for envsync.yaml; analyze suggests it and never writes the file. */
export interface ContentSuggestion {
  /** Content candidates, sorted by name. */
  content: SuggestedContentTable[];
  /** Users' tables (`schema.table`, sorted): they reference auth.users or another users' table; protected. */
  users: string[];
}

/** One proposed masking rule, as envsync.yaml spells it. */
export interface ProposedMaskingRule {
  /** `schema.table.column`. */
  column: string;
  /** `email`, `phone`, `name`, `fake`, `hash`, `null`, `keep`, `constant:<value>`. */
  strategy: string;
  /** What the column looks like and why this strategy (also the rule's comment in `yaml`). */
  why: string;
}

/** A starting `masking` section for envsync.yaml; analyze proposes it and never writes the file. */
export interface MaskingProposal {
  /** Tables with at least one masked column (`schema.table`, sorted): they fail closed. */
  personal: string[];
  /** Per personal table: its masked columns, then every other column kept by name (column order). */
  rules: ProposedMaskingRule[];
  /**
   * Columns named like personal data that are not masked, and why: generated (no rule), references
   * to data that is not masked (kept), a type no strategy fits (no rule: the team writes one).
   */
  skipped: { column: string; why: string }[];
  /** The section, ready to paste, with a comment giving each rule's reason. */
  yaml: string;
}

export interface AnalyzeResult extends Inventory {
  /** The database analyzed, as shown to people (never with its password). */
  target: { name: string; display: string };
  counts: InventoryCounts;
  attention: AttentionItem[];
  contentSuggestion: ContentSuggestion;
  masking: MaskingProposal;
  durationMs: number;
}
