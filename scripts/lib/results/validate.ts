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

/** One masked column: how many of its values were compared by key, and how many equal the source's. */
export interface MaskedColumnCheck {
  table: string;
  column: string;
  strategy: string;
  /** Rows of the table on the source. */
  rows: number;
  /** Non-null values compared, paired by primary key. */
  compared: number;
  /** A random sample (the table is over the full-compare limit), or every row. */
  sampled: boolean;
  /** Values equal to the source's for the same key: a leak, but for a strategy that can meet a real value by chance. */
  unchanged: number;
  note?: string;
}

/** validate --masked: the masked copy proven safe and still whole. */
export interface MaskedProof {
  ok: boolean;
  columns: MaskedColumnCheck[];
  /** Every FK into or out of a masked table: rows on the target whose key finds no row. */
  foreignKeys: { name: string; table: string; references: string; dangling: number }[];
  /** Every unique constraint over a masked column: duplicated values on the target. */
  uniques: { table: string; constraint: string; duplicates: number }[];
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
  /**
   * A masked copy (--masked, or the source is production): the masked columns left out of the
   * checksums (`schema.table.column`), the side effects accepted as neutralized, and the proof.
   */
  masked: { reason: string; excluded: string[]; neutralized: string[]; proof: MaskedProof } | null;
  identical: boolean;
  timings: { inventoryMs: number; checksumMs: number; totalMs: number };
}
