// What a sync between two databases covers, and the connection pair it works through:
// shared by prepare (which plans it) and sync (which does it).

import { InputError } from '../base/errors.ts';
import type { Inventory } from '../catalog/model.ts';
import { PLATFORM_DATA_TABLES } from '../catalog/platform.ts';
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

export interface Scope {
  /** The source's app schemas: their DDL and data replace the target's. */
  schemas: string[];
  /** App schemas only the target has: removed. */
  targetOnlySchemas: string[];
  /** Platform tables whose rows are replaced (present and readable on both sides). */
  platformTables: string[];
  /** Every table whose rows are copied, in the source's load order. */
  tables: { schema: string; name: string; platform: boolean; estimatedRows: number; bytes: number }[];
}

export function syncScope(src: Inventory, tgt: Inventory, platformTables?: string[]): Scope {
  const schemas = src.schemas.filter((s) => !s.platform).map((s) => s.name);
  const keep = new Set(schemas);
  const readable = (inv: Inventory) =>
    new Set(inv.tables.filter((t) => t.readable).map((t) => `${t.schema}.${t.name}`));
  const onBoth = [readable(src), readable(tgt)];
  const platform = (platformTables ?? [...PLATFORM_DATA_TABLES]).filter((t) => onBoth.every((s) => s.has(t)));
  const order = new Map(src.loadOrder.flat().map((t, i) => [t, i]));
  const tables = src.tables
    .filter((t) => t.kind === 'table' && (keep.has(t.schema) || platform.includes(`${t.schema}.${t.name}`)))
    .sort((a, b) => (order.get(`${a.schema}.${a.name}`) ?? 0) - (order.get(`${b.schema}.${b.name}`) ?? 0))
    .map((t) => ({
      schema: t.schema,
      name: t.name,
      platform: !keep.has(t.schema),
      estimatedRows: Math.max(0, t.estimatedRows),
      bytes: t.sizeBytes,
    }));
  return {
    schemas,
    targetOnlySchemas: tgt.schemas.filter((s) => !s.platform && !keep.has(s.name)).map((s) => s.name),
    platformTables: platform,
    tables,
  };
}
