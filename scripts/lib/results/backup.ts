// backup.json: where a backup went, its manifest and how long each part took.
// A result type only: renderers read it from here, never from the job that produces it.

import type { BackupManifest } from './manifest.ts';

export interface BackupResult {
  /** The database backed up, as shown to people. */
  database: { name: string; display: string };
  dir: string;
  manifest: BackupManifest;
  timings: { dumpMs: number; checksumMs: number; verifyMs: number; totalMs: number };
}
