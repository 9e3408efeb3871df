// What a replica covers, the one answer sync, prepare, validate and backup share: every app
// schema whole (DDL and rows), and only the rows of the platform tables the app needs.

import { InputError } from '../base/errors.ts';
import type { Inventory } from './model.ts';
import { PLATFORM_DATA_TABLES } from './platform.ts';

export interface ReplicaScope {
  /** App schemas: their DDL and rows are replicated. */
  schemas: string[];
  /** Platform tables whose rows (only) are replicated. */
  platformTables: string[];
}

export interface ScopedTable {
  schema: string;
  name: string;
  platform: boolean;
  estimatedRows: number;
  bytes: number;
}

const qualified = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;

/**
 * `inv`'s scope: its app schemas, and the platform tables asked for (default
 * PLATFORM_DATA_TABLES) that it has and can read. A table named on purpose (`--platform-tables`)
 * that is missing, unreadable or not a platform table is refused, never skipped.
 */
export function replicaScope(
  inv: Inventory,
  platformTables?: readonly string[],
  where = 'the database',
): ReplicaScope {
  const schemas = inv.schemas.filter((s) => !s.platform).map((s) => s.name);
  const tables = new Map(inv.tables.filter((t) => t.kind === 'table').map((t) => [qualified(t), t]));
  if (platformTables) {
    const wrong = platformTables.flatMap((name) => {
      const t = tables.get(name);
      if (!t) return [`${where} has no table ${name}`];
      if (!t.platform) return [`${name} is an app table (its schema is replicated whole)`];
      if (!t.readable) return [`${name} is not readable by the connecting role on ${where}`];
      return [];
    });
    if (wrong.length)
      throw new InputError(
        `--platform-tables: ${wrong.join('; ')}`,
        `name platform tables as schema.table (default ${PLATFORM_DATA_TABLES.join(',')})`,
      );
  }
  return {
    schemas,
    platformTables: (platformTables ?? PLATFORM_DATA_TABLES).filter((t) => tables.get(t)?.readable),
  };
}

/** The tables whose rows `scope` replicates, in `inv`'s load order. */
export function scopeTables(inv: Inventory, scope: ReplicaScope): ScopedTable[] {
  const order = new Map(inv.loadOrder.flat().map((t, i) => [t, i]));
  return inv.tables
    .filter(
      (t) =>
        t.kind === 'table' &&
        (scope.schemas.includes(t.schema) || scope.platformTables.includes(qualified(t))),
    )
    .sort((a, b) => (order.get(qualified(a)) ?? 0) - (order.get(qualified(b)) ?? 0))
    .map((t) => ({
      schema: t.schema,
      name: t.name,
      platform: !scope.schemas.includes(t.schema),
      estimatedRows: Math.max(0, t.estimatedRows),
      bytes: t.sizeBytes,
    }));
}
