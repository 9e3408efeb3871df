// manifest.json: what a backup holds and how to prove a restore of it (backup, prepare, rollback).
// A result type only: renderers read it from here, never from the job that produces it.

import type { DefaultPrivilege, Extension, Grant, Publication, SchemaInfo } from '../catalog/model.ts';
import type { DatabaseIdentity } from './plan.ts';

export interface TableChecksum {
  /** `schema.table` */
  table: string;
  rows: number;
  /**
   * `md5x64:<sum of hash bits 0-31>:<sum of bits 32-63>`; in a masked dump, `sha256:<hex>` of the
   * table's COPY data as written (the source's checksum would describe values the dump lacks).
   */
  checksum: string;
}

export interface SequenceState {
  /** `schema.sequence` */
  sequence: string;
  lastValue: string;
  isCalled: boolean;
}

/**
 * What a replica must have that the app schemas' dump does not carry: taken from the source
 * by sync, kept in a backup's manifest for rollback.
 */
export interface ReplicaState {
  extensions: Extension[];
  publications: Publication[];
  /** The replaced schemas themselves (their comments) and the grants on them. */
  schemas: SchemaInfo[];
  schemaGrants: Grant[];
  /** Default privileges without IN SCHEMA: database-wide, never in a schema dump. */
  globalDefaultPrivileges: DefaultPrivilege[];
}

export const MANIFEST_FORMAT = 'envsync-backup/1';

export interface BackupFile {
  name: string;
  /**
   * app: DDL + data of the app schemas; platform-data: rows of platform tables; platform-objects: the
   * app's DDL on platform tables; masked-dump: one plain SQL script of all that, masked (not a backup).
   */
  role: 'app' | 'platform-data' | 'platform-objects' | 'masked-dump';
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
  /**
   * Present when this is a masked dump (`backup --mask`): a copy to hand over, never a backup of the
   * database — rollback refuses it. `tables` then holds the masked copy's rows, not the source's.
   */
  masked?: MaskedDump;
  /**
   * HMAC-SHA256 of everything above, keyed from BACKUP_ENCRYPTION_KEY: with every file's sha256
   * in it, it authenticates the whole backup. Absent when the backup was taken without a key.
   */
  mac?: string;
}

/** What a masked dump changed on the way (docs/masking.md, "A masked dump for a contractor"). */
export interface MaskedDump {
  /** Why it is masked: `--mask`. */
  reason: string;
  /** `schema.table.column` → the strategy that replaced its values (`email`, `null`, `sql` …). */
  columns: Record<string, string>;
  /** Triggers (and copied cron jobs) that call out, as the dump leaves them: disabled, rewritten or kept. */
  neutralized: { name: string; action: 'disabled' | 'rewritten' | 'kept'; detail: string }[];
}
