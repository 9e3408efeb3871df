// rollback.json: the backup restored and the proof that the target matches it.
// A result type only: renderers read it from here, never from the job that produces it.

import type { SequenceState } from './manifest.ts';
import type { ChecksumDifference } from './validate.ts';

export interface ManifestComparison {
  tables: ChecksumDifference[];
  sequences: { sequence: string; expected?: SequenceState; actual?: SequenceState }[];
  /** Tables and sequences of roles the connecting role cannot act as: left as they were, not compared. */
  leftAlone?: string[];
  identical: boolean;
}

export interface RollbackResult {
  target: { name: string; display: string };
  from: string;
  backup: { createdAt: string; source: string; tables: number };
  foreign: boolean;
  /** The manifest's MAC checked out (false: a backup taken without a key, which nothing vouches for). */
  authenticated: boolean;
  timings: { verifyFilesMs: number; restoreMs: number; proveMs: number; totalMs: number };
  comparison: ManifestComparison;
}
