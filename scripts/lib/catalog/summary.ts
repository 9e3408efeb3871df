// Derived facts about an inventory that reports and checks share: object counts per
// side (app / platform) and what needs a person's attention.

import type { AttentionItem, InventoryCounts, ObjectCounts } from '../results/analyze.ts';
import type { Inventory } from './model.ts';

export function countObjects(inv: Inventory): InventoryCounts {
  const side = (platform: boolean): ObjectCounts => {
    const tables = inv.tables.filter((t) => t.platform === platform);
    // A partitioned parent holds no rows of its own: its partitions are counted.
    const holding = tables.filter((t) => t.kind !== 'partitioned');
    return {
      schemas: inv.schemas.filter((s) => s.platform === platform).length,
      tables: tables.length,
      rows: holding.reduce((s, t) => s + (t.rowCount ?? (inv.exactCounts ? 0 : t.estimatedRows)), 0),
      sizeBytes: tables.reduce((s, t) => s + t.sizeBytes, 0),
      views: inv.views.filter((v) => v.platform === platform && v.kind === 'view').length,
      matviews: inv.views.filter((v) => v.platform === platform && v.kind === 'matview').length,
      functions: inv.functions.filter((f) => f.platform === platform).length,
      // A user trigger on auth.users is the app's, even though its table is the platform's.
      triggers: inv.triggers.filter((t) => t.platform === platform).length,
      policies: inv.policies.filter((p) => p.onPlatformTable === platform).length,
      sequences: inv.sequences.filter((s) => s.platform === platform).length,
      enums: inv.enums.filter((e) => e.platform === platform).length,
      grants: inv.grants.filter((g) => g.platform === platform).length,
    };
  };
  return {
    app: side(false),
    platform: side(true),
    extensions: inv.extensions.length,
    eventTriggers: inv.eventTriggers.length,
    defaultPrivileges: inv.defaultPrivileges.length,
  };
}

/** Schemas the Supabase Data API exposes by default. */
const EXPOSED_SCHEMAS = ['public', 'graphql_public'];
const API_ROLES = ['anon', 'authenticated'];

export function attentionItems(inv: Inventory): AttentionItem[] {
  const items: AttentionItem[] = [];
  for (const c of inv.cycles) {
    const breakable = c.breakableAt.length
      ? `; loadable by deferring ${c.breakableAt.join(', ')}`
      : '; no FK in it is nullable or deferrable';
    items.push({
      kind: 'fk-cycle',
      object: c.tables.join(' ↔ '),
      message: `FK cycle ${c.tables.join(' ↔ ')} via ${c.foreignKeys.join(', ')}${breakable}`,
    });
  }
  const app = inv.tables.filter((t) => !t.platform);
  for (const t of app.filter((t) => t.primaryKey.length === 0 && !t.isPartition)) {
    items.push({
      kind: 'no-primary-key',
      object: `${t.schema}.${t.name}`,
      message: `${t.schema}.${t.name} has no primary key: rows cannot be told apart or located by key`,
    });
  }
  const withPolicies = new Set(inv.policies.map((p) => `${p.schema}.${p.table}`));
  for (const t of app.filter((t) => t.rlsEnabled && !withPolicies.has(`${t.schema}.${t.name}`))) {
    items.push({
      kind: 'rls-without-policies',
      object: `${t.schema}.${t.name}`,
      message: `${t.schema}.${t.name} has RLS enabled and no policy: only its owner and BYPASSRLS roles see rows`,
    });
  }
  const apiGranted = new Set(
    inv.grants
      .filter((g) => API_ROLES.includes(g.grantee) && g.kind === 'table')
      .map((g) => `${g.schema}.${g.name}`),
  );
  for (const t of app.filter(
    (t) => !t.rlsEnabled && EXPOSED_SCHEMAS.includes(t.schema) && apiGranted.has(`${t.schema}.${t.name}`),
  )) {
    items.push({
      kind: 'exposed-without-rls',
      object: `${t.schema}.${t.name}`,
      message: `${t.schema}.${t.name} is granted to anon/authenticated in an API schema without RLS: every row is readable through the API`,
    });
  }
  for (const t of inv.triggers.filter((t) => t.onPlatformTable && !t.platform)) {
    items.push({
      kind: 'trigger-on-platform-table',
      object: `${t.schema}.${t.table}`,
      message: `trigger ${t.name} on platform table ${t.schema}.${t.table} (runs ${t.function}) is the app's: a sync must carry it`,
    });
  }
  for (const p of inv.policies.filter((p) => p.onPlatformTable)) {
    items.push({
      kind: 'policy-on-platform-table',
      object: `${p.schema}.${p.table}`,
      message: `policy "${p.name}" on platform table ${p.schema}.${p.table} is the app's: a sync must carry it`,
    });
  }
  for (const t of inv.tables.filter((t) => !t.readable)) {
    items.push({
      kind: 'unreadable-table',
      object: `${t.schema}.${t.name}`,
      message: `${t.schema}.${t.name} is not readable by ${inv.database.currentUser}: its rows were not counted`,
    });
  }
  for (const v of inv.views.filter((v) => v.kind === 'matview' && !v.populated && !v.platform)) {
    items.push({
      kind: 'matview-not-populated',
      object: `${v.schema}.${v.name}`,
      message: `materialized view ${v.schema}.${v.name} was never refreshed: selecting from it fails`,
    });
  }
  return items;
}
