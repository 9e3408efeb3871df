// One consistent read of a database: a READ ONLY, REPEATABLE READ transaction whose snapshot
// is exported, so pg_dump, psql and checksum workers read exactly what the inventory saw.

import { pinOutputSettings } from '../db/checksum.ts';
import type { Query, Sql } from '../db/connect.ts';
import { type InventoryOptions, readInventoryIn } from './inventory.ts';
import type { Inventory } from './model.ts';

export interface Snapshot {
  /** The transaction every read of the snapshot runs in. */
  tx: Query;
  /** The exported snapshot id (`pg_dump --snapshot`, `SET TRANSACTION SNAPSHOT`). */
  id: string;
  /** The catalog inventory as of the snapshot. */
  inventory(options?: InventoryOptions): Promise<Inventory>;
}

/**
 * Runs `read` inside one snapshot of `sql` (a connection of its own) and closes it. The
 * transaction is opened by hand, not with sql.begin(): when a connection dies, postgres.js
 * 3.4.9's begin() still sends ROLLBACK on it and crashes or waits forever. So after a failure
 * the caller ends the connection, which ends the transaction. Closing a read-only transaction
 * that has been read whole changes nothing: a failure to close it is reported, not thrown.
 */
export async function readSnapshot<T>(
  sql: Sql,
  read: (snapshot: Snapshot) => Promise<T>,
  onCloseError: (error: unknown) => void = () => {},
): Promise<T> {
  await sql.unsafe('begin isolation level repeatable read read only');
  const [row] = await sql`select pg_export_snapshot() as id`;
  await pinOutputSettings(sql);
  const result = await read({
    tx: sql,
    id: String(row!.id),
    inventory: (options = {}) => readInventoryIn(sql, options),
  });
  await sql.unsafe('commit').catch(onCloseError);
  return result;
}
