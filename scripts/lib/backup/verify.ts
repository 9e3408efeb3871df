// Proves a database holds what a backup manifest says: every table's count and
// checksum and every sequence's state, read from one snapshot.

import { readSnapshot } from '../catalog/snapshot.ts';
import {
  checksumTables,
  compareChecksums,
  sequenceStates,
  type TableRef,
  withSnapshotWorkers,
} from '../db/checksum.ts';
import type { Sql } from '../db/connect.ts';
import type { BackupManifest } from '../results/manifest.ts';
import type { ManifestComparison } from '../results/rollback.ts';

const split = (q: string): TableRef => {
  const [schema, name] = q.split(/\.(.+)/) as [string, string];
  return { schema, name };
};

/**
 * Compares the database with the manifest. `open` gives extra connections: with it,
 * tables are checksummed over two workers sharing the comparison's snapshot.
 */
export async function compareWithManifest(
  sql: Sql,
  manifest: BackupManifest,
  open?: () => Promise<Sql>,
): Promise<ManifestComparison> {
  return await readSnapshot(sql, async ({ tx, id: snapshot }) => {
    const sum = (tables: TableRef[]) =>
      open
        ? withSnapshotWorkers(open, snapshot, 2, (workers) => checksumTables({ workers, tables }))
        : checksumTables({ workers: [tx], tables });
    const relations = await tx`select n.nspname || '.' || c.relname as q, c.relkind::text as kind,
                                      pg_has_role(c.relowner, 'USAGE') as ours
                               from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'S')`;
    // A restore leaves a relation of a role the connecting role cannot act as as it is (as a
    // sync does): it is named, not compared.
    const leftAlone = new Set(relations.filter((r) => !r.ours).map((r) => String(r.q)));
    const existing = new Set(relations.filter((r) => r.ours).map((r) => String(r.q)));
    const expectedTables = new Set(manifest.tables.map((t) => t.table));
    // Tables now in the restored schemas that the backup did not have count as differences too.
    const extra = relations
      .filter(
        (r) =>
          r.kind === 'r' &&
          r.ours &&
          manifest.schemas.includes(split(String(r.q)).schema) &&
          !expectedTables.has(String(r.q)),
      )
      .map((r) => split(String(r.q)));
    const actual = await sum([
      ...manifest.tables.filter((t) => existing.has(t.table)).map((t) => split(t.table)),
      ...extra,
    ]);
    const tables = compareChecksums(
      manifest.tables.filter((t) => !leftAlone.has(t.table)),
      actual,
    );
    const states = await sequenceStates(
      tx,
      manifest.sequences.filter((s) => existing.has(s.sequence)).map((s) => split(s.sequence)),
    );
    const sequences: ManifestComparison['sequences'] = [];
    for (const e of manifest.sequences.filter((s) => !leftAlone.has(s.sequence))) {
      const a = states.find((s) => s.sequence === e.sequence);
      if (!a || a.lastValue !== e.lastValue || a.isCalled !== e.isCalled)
        sequences.push({ sequence: e.sequence, expected: e, ...(a ? { actual: a } : {}) });
    }
    return {
      tables,
      sequences,
      leftAlone: [...manifest.tables.map((t) => t.table), ...manifest.sequences.map((s) => s.sequence)]
        .filter((q) => leftAlone.has(q))
        .sort(),
      identical: tables.length === 0 && sequences.length === 0,
    };
  });
}
