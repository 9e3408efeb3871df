// Object-by-object comparison of two inventories over what a sync replicates: the app
// schemas' objects, the app's objects on platform tables, extensions and default
// privileges. Pure: inventories in, differences out.

import type { ObjectDifference } from '../results/plan.ts';
import { DESCRIBED_KINDS, type Inventory } from './model.ts';

type Signatures = Map<string, Record<string, unknown>>;

const sorted = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));

/** Every replicated object of an inventory as kind → key → comparable properties. */
export function signatures(inv: Inventory): Map<string, Signatures> {
  const app = (schema: string) => !inv.schemas.find((s) => s.name === schema)?.platform;
  const out = new Map<string, Signatures>();
  const put = (kind: string, key: string, sig: Record<string, unknown>) => {
    if (!out.has(kind)) out.set(kind, new Map());
    out.get(kind)!.set(key, sig);
  };
  for (const s of inv.schemas.filter((s) => !s.platform)) put('schema', s.name, { owner: s.owner });
  for (const t of inv.tables.filter((t) => app(t.schema))) {
    put('table', `${t.schema}.${t.name}`, {
      kind: t.kind,
      owner: t.owner,
      columns: t.columns.map((c) => [
        c.name,
        c.type,
        c.notNull,
        c.default,
        c.generated,
        c.identity,
        c.collation,
      ]),
      constraints: sorted(t.constraints, (c) => c.name).map((c) => [c.name, c.type, c.definition]),
      indexes: sorted(t.indexes, (i) => i.name).map((i) => i.definition),
      rlsEnabled: t.rlsEnabled,
      rlsForced: t.rlsForced,
      unlogged: t.unlogged,
    });
  }
  for (const v of inv.views.filter((v) => app(v.schema))) {
    put('view', `${v.schema}.${v.name}`, {
      kind: v.kind,
      owner: v.owner,
      definition: v.definition,
      options: [...v.options].sort(),
      indexes: sorted(v.indexes, (i) => i.name).map((i) => i.definition),
    });
  }
  for (const f of inv.functions.filter((f) => app(f.schema))) {
    put('function', `${f.schema}.${f.name}(${f.arguments})`, {
      kind: f.kind,
      language: f.language,
      result: f.result,
      securityDefiner: f.securityDefiner,
      volatility: f.volatility,
      config: f.config,
      owner: f.owner,
      source: f.definitionMd5,
    });
  }
  // The app's triggers, including those on platform tables (e.g. on auth.users).
  for (const t of inv.triggers.filter((t) => app(t.schema) || (t.onPlatformTable && !t.platform))) {
    put('trigger', `${t.schema}.${t.table}.${t.name}`, { definition: t.definition, enabled: t.enabled });
  }
  for (const p of inv.policies.filter((p) => app(p.schema) || p.onPlatformTable)) {
    put('policy', `${p.schema}.${p.table}.${p.name}`, {
      command: p.command,
      permissive: p.permissive,
      roles: [...p.roles].sort(),
      using: p.using,
      check: p.check,
    });
  }
  for (const g of inv.grants.filter((g) => app(g.schema))) {
    put(
      'grant',
      `${g.privilege} on ${g.kind} ${g.schema === g.name && g.kind === 'schema' ? g.name : `${g.schema}.${g.name}`} to ${g.grantee}`,
      {
        grantable: g.grantable,
      },
    );
  }
  for (const d of inv.defaultPrivileges.filter((d) => d.schema === null || app(d.schema))) {
    put(
      'default privilege',
      `${d.privilege} on ${d.objectType} to ${d.grantee} (for role ${d.role}${d.schema ? ` in schema ${d.schema}` : ''})`,
      {
        grantable: d.grantable,
      },
    );
  }
  for (const s of inv.sequences.filter((s) => app(s.schema))) {
    put('sequence', `${s.schema}.${s.name}`, {
      dataType: s.dataType,
      start: s.start,
      increment: s.increment,
      min: s.min,
      max: s.max,
      cycle: s.cycle,
      cache: s.cache,
      ownedBy: s.ownedBy,
    });
  }
  for (const e of inv.enums.filter((e) => app(e.schema)))
    put('enum', `${e.schema}.${e.name}`, { labels: e.labels });
  for (const e of inv.extensions) put('extension', e.name, { schema: e.schema, version: e.version });
  // Every other kind a schema holds (collations, operators, text search, domains, statistics, …):
  // existence and owner here; their definitions are compared by validate's schema dump.
  const enums = new Set(inv.enums.map((e) => `${e.schema}.${e.name}`));
  for (const o of inv.objects.filter((o) => app(o.schema) && !DESCRIBED_KINDS.has(o.kind))) {
    if (
      o.kind === 'type' &&
      [...enums].some((e) => o.identity === e || o.identity.endsWith(`.${e.split('.')[1]}`))
    )
      continue;
    put(o.kind, o.identity, { owner: o.owner });
  }
  const appSchemas = inv.schemas.filter((s) => !s.platform).map((s) => s.name);
  for (const c of inv.casts.filter((c) => c.schemas.some((s) => appSchemas.includes(s)))) {
    put('cast', `${c.source} as ${c.target}`, { how: c.how });
  }
  for (const p of inv.publications) {
    const tables = p.tables.filter((t) => app(t.schema));
    if (!tables.length) continue;
    put('publication', p.name, {
      publish: p.publish,
      viaRoot: p.viaRoot,
      tables: tables.map((t) => [`${t.schema}.${t.table}`, t.columns, t.rowFilter]),
    });
  }
  return out;
}

export function diffInventories(source: Inventory, target: Inventory): ObjectDifference[] {
  const a = signatures(source);
  const b = signatures(target);
  const kinds = [...new Set([...a.keys(), ...b.keys()])];
  const out: ObjectDifference[] = [];
  for (const kind of kinds) {
    const s = a.get(kind) ?? new Map();
    const t = b.get(kind) ?? new Map();
    for (const [key, sig] of s) {
      const other = t.get(key);
      if (!other) {
        out.push({ kind, object: key, change: 'missing on target' });
        continue;
      }
      const fields = Object.keys(sig)
        .filter((f) => JSON.stringify(sig[f]) !== JSON.stringify(other[f]))
        .map((f) => ({ field: f, source: sig[f], target: other[f] }));
      if (fields.length) out.push({ kind, object: key, change: 'differs', fields });
    }
    for (const key of t.keys()) if (!s.has(key)) out.push({ kind, object: key, change: 'only on target' });
  }
  return out.sort((x, y) => x.kind.localeCompare(y.kind) || x.object.localeCompare(y.object));
}
