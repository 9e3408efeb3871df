// The app's own objects on platform tables (a trigger on auth.users, a policy on
// storage.objects): a dump of the app schemas does not carry them, so a backup keeps
// their DDL and a restore re-creates them.

import type { Inventory, Policy } from '../catalog/model.ts';
import { ident } from '../db/sql-text.ts';

export function policyDdl(p: Policy): string {
  const roles = p.roles.map((r) => (r === 'public' ? 'PUBLIC' : ident(r))).join(', ');
  return [
    `CREATE POLICY ${ident(p.name)} ON ${ident(p.schema)}.${ident(p.table)}`,
    `AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${p.command.toUpperCase()} TO ${roles}`,
    p.using !== null ? `USING (${p.using})` : '',
    p.check !== null ? `WITH CHECK (${p.check})` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

const triggerState: Record<string, string> = {
  disabled: 'DISABLE',
  replica: 'ENABLE REPLICA',
  always: 'ENABLE ALWAYS',
};

/** DDL that re-creates the app's triggers and policies on platform tables, in order. */
export function platformObjectStatements(inv: Inventory): string[] {
  const out: string[] = [];
  for (const t of inv.triggers.filter((t) => t.onPlatformTable && !t.platform)) {
    out.push(t.definition);
    const state = triggerState[t.enabled];
    if (state) out.push(`ALTER TABLE ${ident(t.schema)}.${ident(t.table)} ${state} TRIGGER ${ident(t.name)}`);
  }
  for (const p of inv.policies.filter((p) => p.onPlatformTable)) out.push(policyDdl(p));
  return out;
}

/** The statements that remove them first (a restore replaces, never duplicates). */
export function dropPlatformObjectStatements(inv: Inventory): string[] {
  return [
    ...inv.triggers
      .filter((t) => t.onPlatformTable && !t.platform)
      .map((t) => `DROP TRIGGER IF EXISTS ${ident(t.name)} ON ${ident(t.schema)}.${ident(t.table)}`),
    ...inv.policies
      .filter((p) => p.onPlatformTable)
      .map((p) => `DROP POLICY IF EXISTS ${ident(p.name)} ON ${ident(p.schema)}.${ident(p.table)}`),
  ];
}
