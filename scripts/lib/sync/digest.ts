// The source's digest: sync checksums every table it copies on the source, in the snapshot it
// copied them from, while the target is busy building indexes (the source is idle then).
// `validate --digest` compares the target with it: one server hashed instead of two, and the
// question asked is the right one when the source moved on since — is the target what was copied?

import { InputError } from '../base/errors.ts';
import { readJsonFile } from '../base/json-file.ts';
import { checksumTables, type RowHashKind, type TableRef } from '../db/checksum.ts';
import type { Query } from '../db/connect.ts';
import { sameDatabase } from '../db/identity.ts';
import type { JobRecord } from '../results/job-record.ts';
import type { SequenceState } from '../results/manifest.ts';
import type { DatabaseIdentity } from '../results/plan.ts';
import type { SourceDigest, SyncResult } from '../results/sync.ts';

/** Checksums of `tables` in the snapshot transaction `tx`, hashed as `kind` says. */
export async function readDigest(
  tx: Query,
  d: {
    tables: TableRef[];
    kind: (t: TableRef) => RowHashKind;
    sequences: SequenceState[];
    identities: { source: DatabaseIdentity; target: DatabaseIdentity };
    takenAt: string;
  },
): Promise<SourceDigest> {
  const t0 = Date.now();
  const tables = await checksumTables({ workers: [tx], tables: d.tables, kind: d.kind });
  return {
    ...d.identities,
    takenAt: d.takenAt,
    tables,
    sequences: d.sequences,
    ms: Date.now() - t0,
  };
}

/**
 * The digest a committed sync left in `dir` (its --out), for these two databases; null when that
 * sync could not read one (validate then reads the source's rows, as without --digest). Anything
 * else is bad input: one line, exit 2.
 */
export function loadDigest(
  dir: string,
  identities: { source: DatabaseIdentity; target: DatabaseIdentity },
  display: { source: string; target: string },
): SourceDigest | null {
  const hint =
    'give the --out directory of a sync that committed (its sync.json), or validate without --digest';
  const record = readJsonFile(`${dir}/sync.json`, hint) as Partial<JobRecord<SyncResult>> | null;
  const r = record?.result;
  const digest = r?.digest;
  if (!r || typeof r !== 'object' || !('committed' in r)) {
    throw new InputError(`--digest ${dir}: sync.json is not a sync's record`, hint);
  }
  if (!r.committed) throw new InputError(`--digest ${dir}: that sync did not commit`, hint);
  if (!digest) return null;
  const ok =
    Array.isArray(digest.tables) &&
    Array.isArray(digest.sequences) &&
    digest.tables.every(
      (t) =>
        typeof t?.table === 'string' &&
        typeof t.rows === 'number' &&
        /^(md5x64|hte64|hre64):/.test(t.checksum),
    );
  if (!ok) throw new InputError(`--digest ${dir}: the digest in sync.json is damaged`, hint);
  if (!sameDatabase(digest.source, identities.source) || !sameDatabase(digest.target, identities.target)) {
    throw new InputError(
      `--digest ${dir} was taken by a sync of other databases, not ${display.source} → ${display.target}`,
      hint,
    );
  }
  return digest;
}

/** The hash a digest's checksum was made with. */
export const digestKind = (checksum: string): RowHashKind => checksum.split(':')[0] as RowHashKind;
