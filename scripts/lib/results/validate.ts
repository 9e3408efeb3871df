// validate.json: every difference between source and target — objects, dump entries, data, sequences.
// A result type only: renderers read it from here, never from the job that produces it.

import type { SequenceState } from './manifest.ts';
import type { ObjectDifference } from './plan.ts';

export interface ChecksumDifference {
  table: string;
  expected?: { rows: number; checksum: string };
  actual?: { rows: number; checksum: string };
}

export interface EntryDifference {
  /** pg_dump's type, lower case: `table`, `collation`, `default acl`, `comment`, … */
  kind: string;
  object: string;
  change: 'missing on target' | 'only on target' | 'differs';
  /** For `differs`: the first line that differs on each side. */
  source?: string;
  target?: string;
}

export interface ValidateResult {
  source: { name: string; display: string };
  target: { name: string; display: string };
  objects: ObjectDifference[];
  /** `pg_dump --schema-only` of the app schemas compared entry by entry: every kind pg_dump knows. */
  schemaDump: EntryDifference[];
  data: ChecksumDifference[];
  sequences: { sequence: string; source?: SequenceState; target?: SequenceState }[];
  /** With --locate: the first differing keys of each differing table that has a primary key. */
  located: { table: string; primaryKey: string[]; keys: string[]; truncated: boolean }[];
  tablesCompared: number;
  rowsCompared: number;
  /**
   * With --digest: the source's rows were not read — the target was compared with the checksums
   * the sync took from its snapshot (`tables` of them; any other table was read live).
   */
  digest: { dir: string; takenAt: string; tables: number } | null;
  identical: boolean;
  timings: { inventoryMs: number; checksumMs: number; totalMs: number };
}
