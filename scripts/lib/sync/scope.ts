// What a sync between two databases covers, and the connection pair it works through:
// shared by prepare (which plans it) and sync (which does it).

import { InputError } from '../base/errors.ts';
import type { Inventory } from '../catalog/model.ts';
import { type ReplicaScope, replicaScope, type ScopedTable, scopeTables } from '../catalog/scope.ts';
import { connect, destroyConnections, type Sql } from '../db/connect.ts';
import { databaseIdentity, sameDatabase } from '../db/identity.ts';
import type { DatabaseTarget } from '../db/url.ts';
import type { DatabaseIdentity } from '../results/plan.ts';

export interface Pair {
  src: Sql;
  tgt: Sql;
  srcIdentity: DatabaseIdentity;
  tgtIdentity: DatabaseIdentity;
  close(): Promise<void>;
  /** Drops both connections at once (after a failure: their transactions roll back). */
  abort(): void;
}

/** Connects to both sides and refuses the same database however it is written (exit 2). */
export async function openPair(
  source: DatabaseTarget,
  target: DatabaseTarget,
  job: string,
  connectTimeout: number,
): Promise<Pair> {
  const settled = await Promise.allSettled(
    [source, target].map((db) => connect(db, { applicationName: `envsync ${job}`, connectTimeout })),
  );
  const opened = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s) => s.status === 'rejected');
  const close = async () => {
    await Promise.all(opened.map((c) => c.end({ timeout: 5 }).catch(() => {})));
  };
  if (failed) {
    await close();
    throw (failed as PromiseRejectedResult).reason;
  }
  const [src, tgt] = opened as [Sql, Sql];
  try {
    const [srcIdentity, tgtIdentity] = await Promise.all([databaseIdentity(src), databaseIdentity(tgt)]);
    if (sameDatabase(srcIdentity, tgtIdentity)) {
      throw new InputError(
        `--target ${target.display} is the same database as --source ${source.display}`,
        'give two different databases',
      );
    }
    const abort = () => {
      destroyConnections(src);
      destroyConnections(tgt);
    };
    return { src, tgt, srcIdentity, tgtIdentity, close, abort };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface Scope extends ReplicaScope {
  /** App schemas only the target has: removed. */
  targetOnlySchemas: string[];
  /** Every table whose rows are copied, in the source's load order. */
  tables: ScopedTable[];
}

/** The source's scope (catalog/scope.ts), its platform tables narrowed to those the target has too. */
export function syncScope(src: Inventory, tgt: Inventory, platformTables?: string[]): Scope {
  const [a, b] = [
    replicaScope(src, platformTables, 'the source'),
    replicaScope(tgt, platformTables, 'the target'),
  ];
  const scope = {
    schemas: a.schemas,
    platformTables: a.platformTables.filter((t) => b.platformTables.includes(t)),
  };
  return {
    ...scope,
    targetOnlySchemas: b.schemas.filter((s) => !a.schemas.includes(s)),
    tables: scopeTables(src, scope),
  };
}
