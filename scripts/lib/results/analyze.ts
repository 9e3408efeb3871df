// analyze.json: one database's catalog inventory with its counts and what needs attention.
// A result type only: renderers read it from here, never from the job that produces it.

import type { Inventory } from '../catalog/model.ts';

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

export interface AnalyzeResult extends Inventory {
  /** The database analyzed, as shown to people (never with its password). */
  target: { name: string; display: string };
  counts: InventoryCounts;
  attention: AttentionItem[];
  durationMs: number;
}
