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

export interface AnalyzeResult extends Inventory {
  /** The database analyzed, as shown to people (never with its password). */
  target: { name: string; display: string };
  counts: InventoryCounts;
  attention: AttentionItem[];
  contentSuggestion: ContentSuggestion;
  durationMs: number;
}
