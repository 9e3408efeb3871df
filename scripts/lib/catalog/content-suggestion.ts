// A starting `content.tables` for envsync.yaml, read from the FK graph: which app tables hold
// users' rows (protected) and which look like content a team authors (candidates).

import type { ContentSuggestion, SuggestedContentTable } from '../results/analyze.ts';
import type { Inventory } from './model.ts';

/** The platform table every user's row hangs from. */
const USERS_TABLE = 'auth.users';

/**
 * Users' tables are those that reference `auth.users`, and every table that references one of
 * them, transitively: their rows belong to someone. Every other app table is a content
 * candidate, with its key and the users' tables that point at it. Partitions count as their
 * parent; views and platform tables are never candidates. Pure: it only reads the inventory.
 */
export function suggestContent(inv: Inventory): ContentSuggestion {
  const byName = new Map(inv.tables.map((t) => [`${t.schema}.${t.name}`, t]));
  // A partition's rows are its root's: an FK declared on a partition alone counts for the root.
  const rootOf = (name: string): string => {
    const parent = byName.get(name)?.partitionOf;
    return parent && parent !== name ? rootOf(parent) : name;
  };
  const app = inv.tables
    .filter((t) => !t.platform && !t.isPartition)
    .map((t) => `${t.schema}.${t.name}`)
    .sort((a, b) => a.localeCompare(b));
  const isApp = new Set(app);
  const edges = inv.foreignKeys.map((fk) => ({
    from: rootOf(fk.table),
    to: rootOf(fk.references),
    onDelete: fk.onDelete,
  }));

  // The closure, walked from auth.users against the FKs' direction.
  const users = new Set<string>();
  const queue = [USERS_TABLE];
  while (queue.length) {
    const referenced = queue.shift()!;
    for (const e of edges) {
      if (e.to !== referenced || !isApp.has(e.from) || users.has(e.from)) continue;
      users.add(e.from);
      queue.push(e.from);
    }
  }

  const content: SuggestedContentTable[] = app
    .filter((name) => !users.has(name))
    .map((name) => {
      const primaryKey = byName.get(name)!.primaryKey;
      // One entry per referencing table and action, however many FKs repeat it.
      const references = new Map(
        edges
          .filter((e) => e.to === name && users.has(e.from))
          .map((e) => [`${e.from}\u0000${e.onDelete}`, { table: e.from, onDelete: e.onDelete }]),
      );
      const referencedBy = [...references.values()].sort(
        (a, b) => a.table.localeCompare(b.table) || a.onDelete.localeCompare(b.onDelete),
      );
      return { table: name, key: primaryKey.length ? primaryKey : null, delete: 'keep', referencedBy };
    });
  return { content, users: [...users].sort((a, b) => a.localeCompare(b)) };
}
