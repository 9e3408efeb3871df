// manifest.json: what a backup holds and how to prove a restore of it — the contract
// between backup, prepare (target snapshot), rollback and people restoring by hand.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../cli/errors.ts';
import type { SequenceState, TableChecksum } from '../db/checksum.ts';
import type { DatabaseIdentity } from '../db/identity.ts';
import type { ReplicaState } from '../replica/replace.ts';

export const MANIFEST_FORMAT = 'envsync-backup/1';

export interface BackupFile {
  name: string;
  /** app: DDL + data of the app schemas; platform-data: rows of platform tables; platform-objects: the app's DDL on platform tables. */
  role: 'app' | 'platform-data' | 'platform-objects';
  bytes: number;
  sha256: string;
  encrypted: boolean;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  createdAt: string;
  durationMs: number;
  source: {
    display: string;
    identity: DatabaseIdentity;
    serverVersion: string;
    serverVersionNum: number;
  };
  pgDump: { version: string };
  snapshot: string;
  /** App schemas dumped whole (DDL + data). */
  schemas: string[];
  /** `schemas` are every app schema the database had: a restore removes app schemas made since. */
  allAppSchemas?: boolean;
  /** What the app schemas' dump does not carry (extensions, publications, schema comments and grants,
   *  database-wide default privileges), as it was: a restore makes them so again. */
  state?: ReplicaState;
  /** Platform tables whose rows (only) are in platform-data. */
  platformTables: string[];
  files: BackupFile[];
  tables: TableChecksum[];
  sequences: SequenceState[];
  verification: { archivesRead: boolean; restoredInto: string | null; checksumsMatch: boolean | null };
}

/** Reads and checks a manifest; anything malformed is bad input (a corrupt artifact). */
export function readManifest(dir: string): BackupManifest {
  const file = path.join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT' ? `${file} does not exist` : `${file} is not valid JSON`,
      'pass the directory a backup (or prepare’s target snapshot) wrote, with its manifest.json',
    );
  }
  const m = raw as Partial<BackupManifest>;
  const problems: string[] = [];
  if (m.format !== MANIFEST_FORMAT)
    problems.push(`format is ${JSON.stringify(m.format)}, expected ${MANIFEST_FORMAT}`);
  if (
    !Array.isArray(m.files) ||
    m.files.some((f) => typeof f?.name !== 'string' || !/^[0-9a-f]{64}$/.test(String(f?.sha256)))
  ) {
    problems.push('files[] is missing or malformed');
  }
  if (
    !Array.isArray(m.tables) ||
    m.tables.some((t) => typeof t?.table !== 'string' || typeof t?.rows !== 'number')
  ) {
    problems.push('tables[] is missing or malformed');
  }
  if (!Array.isArray(m.schemas) || !Array.isArray(m.platformTables) || !Array.isArray(m.sequences)) {
    problems.push('schemas, platformTables or sequences is missing');
  }
  if (!m.source?.identity) problems.push('source identity is missing');
  if (
    Array.isArray(m.files) &&
    m.files.some((f) => String(f?.name).includes('/') || String(f?.name).includes('..'))
  ) {
    problems.push('a file name points outside the backup');
  }
  if (problems.length) {
    throw new InputError(
      `${file} is not a valid envsync backup manifest: ${problems.join('; ')}`,
      'take a new backup; do not edit manifests by hand',
    );
  }
  return m as BackupManifest;
}
