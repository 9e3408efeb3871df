// The protected tables — every table a replica carries that is not content: the app's users'
// tables and the platform's auth.users, storage.objects… — counted, and checksummed into the
// manifest a sync keeps with its content snapshot. Against that manifest `validate` tells the
// tables nobody wrote since from those the application wrote: the sync claims only the first.

import type { Inventory } from '../catalog/model.ts';
import { replicaScope, scopeTables } from '../catalog/scope.ts';
import { ownHash, pinOutputSettings, type TableRef, tableChecksum } from '../db/checksum.ts';
import type { Sql } from '../db/connect.ts';
import { qname } from '../db/sql-text.ts';
import type { ProtectedReport } from '../results/content-sync.ts';
import type { TableChecksum } from '../results/manifest.ts';
import type { ContentTable } from './tables.ts';

/** The tables a replica of `inv` carries, less the content tables. */
export function protectedTables(inv: Inventory, content: ContentTable[]): TableRef[] {
  const skip = new Set(content.map((t) => t.qualified));
  return scopeTables(inv, replicaScope(inv))
    .filter((t) => !skip.has(`${t.schema}.${t.name}`))
    .map((t) => ({ schema: t.schema, name: t.name }));
}

/**
 * Each table's rows and, `withChecksums`, its checksum — each table in a transaction of its
 * own, so no lock on a users' table is held longer than its own read (and never across a
 * sync's transaction). The checksum is PostgreSQL's fastest row hash (checksum.ts): a manifest
 * is only ever compared on the server it was taken on (its identity is checked), and it is 3–8×
 * cheaper than md5.
 */
export async function readProtected(
  sql: Sql,
  tables: TableRef[],
  withChecksums: boolean,
): Promise<TableChecksum[]> {
  const out: TableChecksum[] = [];
  const kind = await ownHash(sql);
  for (const t of tables)
    out.push(
      await sql.begin(async (tx) => {
        await pinOutputSettings(tx);
        if (withChecksums) return tableChecksum(tx, t, undefined, kind);
        const [r] = await tx.unsafe(`select count(*)::int8 as n from only ${qname(t.schema, t.name)}`);
        return { table: `${t.schema}.${t.name}`, rows: Number(r!.n), checksum: '' };
      }),
    );
  return out;
}

/** Now against the manifest (when there is one): unchanged, or written since by someone else. */
export function protectedReport(
  now: TableChecksum[],
  manifest: { dir: string; tables: TableChecksum[] } | null,
): ProtectedReport {
  const before = new Map((manifest?.tables ?? []).map((t) => [t.table, t]));
  return {
    manifest: manifest?.dir ?? null,
    tables: now.map((t) => {
      const was = before.get(t.table);
      return {
        table: t.table,
        rows: t.rows,
        before: was ? was.rows : null,
        unchanged: manifest ? (was ? was.checksum === t.checksum : false) : null,
      };
    }),
  };
}
