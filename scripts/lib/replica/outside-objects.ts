// The app's own objects outside its schemas — a trigger on auth.users, a policy on
// storage.objects, a cast of one of its types: a dump of the app schemas does not carry
// them, so sync re-creates the source's, a backup keeps their DDL for a restore, and
// replace.ts removes the old ones first.

import type { Cast, Inventory, Policy } from '../catalog/model.ts';
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

/** The app's casts: those naming a type or function of the replaced schemas. */
export const appCasts = (inv: Inventory, schemas: string[]): Cast[] =>
  inv.casts.filter((c) => c.schemas.some((s) => schemas.includes(s)));

export const castDdl = (c: Cast): string => `CREATE CAST (${c.source} AS ${c.target}) ${c.how}`;

/** DDL that re-creates the app's triggers and policies on platform tables and its casts, in order. */
export function outsideObjectStatements(inv: Inventory, schemas: string[]): string[] {
  const out: string[] = [];
  for (const t of inv.triggers.filter((t) => t.onPlatformTable && !t.platform)) {
    out.push(t.definition);
    const state = triggerState[t.enabled];
    if (state) out.push(`ALTER TABLE ${ident(t.schema)}.${ident(t.table)} ${state} TRIGGER ${ident(t.name)}`);
  }
  for (const p of inv.policies.filter((p) => p.onPlatformTable)) out.push(policyDdl(p));
  for (const c of appCasts(inv, schemas)) out.push(castDdl(c));
  return out;
}
