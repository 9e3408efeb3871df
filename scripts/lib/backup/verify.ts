// Proves a database holds what a backup manifest says: every table's count and
// checksum and every sequence's state, read from one snapshot.

import {
  type ChecksumDifference,
  checksumTables,
  compareChecksums,
  type SequenceState,
  sequenceStates,
} from '../db/checksum.ts';
import type { Sql } from '../db/connect.ts';
import type { BackupManifest } from './manifest.ts';

export interface ManifestComparison {
  tables: ChecksumDifference[];
  sequences: { sequence: string; expected?: SequenceState; actual?: SequenceState }[];
  identical: boolean;
}

const split = (q: string) => {
  const [schema, name] = q.split(/\.(.+)/) as [string, string];
  return { schema, name };
};

export async function compareWithManifest(sql: Sql, manifest: BackupManifest): Promise<ManifestComparison> {
  return (await sql.begin('isolation level repeatable read read only', async (tx) => {
    const existing = new Set(
      (
        await tx`select n.nspname || '.' || c.relname as q from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'S')`
      ).map((r) => String(r.q)),
    );
    const present = manifest.tables.filter((t) => existing.has(t.table));
    const actual = await checksumTables({
      workers: [tx as never],
      tables: present.map((t) => split(t.table)),
    });
    // Tables now in the restored schemas that the backup did not have count as differences too.
    const extra = [...existing].filter(
      (q) =>
        manifest.schemas.includes(split(q).schema) &&
        !manifest.tables.some((t) => t.table === q) &&
        !manifest.sequences.some((s) => s.sequence === q),
    );
    const extraSums = await checksumTables({
      workers: [tx as never],
      tables: (
        await tx`select n.nspname || '.' || c.relname as q from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r'`
      )
        .map((r) => String(r.q))
        .filter((q) => extra.includes(q))
        .map(split),
    });
    const tables = compareChecksums(manifest.tables, [...actual, ...extraSums]);
    const seqPresent = manifest.sequences.filter((s) => existing.has(s.sequence));
    const states = await sequenceStates(
      tx as never,
      seqPresent.map((s) => split(s.sequence)),
    );
    const sequences: ManifestComparison['sequences'] = [];
    for (const e of manifest.sequences) {
      const a = states.find((s) => s.sequence === e.sequence);
      if (!a || a.lastValue !== e.lastValue || a.isCalled !== e.isCalled)
        sequences.push({ sequence: e.sequence, expected: e, ...(a ? { actual: a } : {}) });
    }
    return { tables, sequences, identical: tables.length === 0 && sequences.length === 0 };
  })) as ManifestComparison;
}
