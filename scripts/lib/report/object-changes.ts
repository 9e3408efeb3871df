// Object differences grouped by the object they belong to — a table with its policies, triggers
// and grants is one line — so a summary says what changes, not which catalog rows differ.

import type { ObjectDifference } from '../results/plan.ts';
import { cell, code, counted, formatCount, table } from './markdown.ts';

/**
 * How a difference is told: what a sync does to the target, how two databases compare, or how
 * an environment drifted from what it should be (the source side: migrations or --source).
 */
export type Wording = 'sync' | 'compare' | 'drift';

type Change = ObjectDifference['change'];

const COMPARE: Record<Change, string> = {
  'missing on target': 'missing on target',
  'only on target': 'only on target',
  differs: 'differs',
};
const DRIFT: Record<Change, string> = {
  'missing on target': 'missing',
  'only on target': 'extra',
  differs: 'differs',
};
const OWN_VERB: Record<Wording, Record<Change, string>> = {
  sync: { 'missing on target': 'created', 'only on target': 'removed', differs: 'changed' },
  compare: COMPARE,
  drift: DRIFT,
};
const PART_VERB: Record<Wording, Record<Change, string>> = {
  sync: { 'missing on target': 'added', 'only on target': 'removed', differs: 'changed' },
  compare: COMPARE,
  drift: DRIFT,
};

/** One object and its differences: its own (null when only its parts differ) and its parts'. */
export interface ObjectChanges {
  kind: string;
  object: string;
  own: ObjectDifference | null;
  parts: ObjectDifference[];
}

/**
 * Kinds that are parts of another object, with their plural, in the order a line lists them.
 * diff.ts compares columns, constraints and indexes inside their table today; should they come
 * as differences of their own (`schema.table.name`), they group like policies.
 */
const PART_KINDS: Record<string, string> = {
  column: 'columns',
  index: 'indexes',
  constraint: 'constraints',
  policy: 'policies',
  trigger: 'triggers',
  grant: 'grants',
  'default privilege': 'default privileges',
};

/** Schemas and data-bearing objects first: they are what a person most needs to see. */
const KIND_ORDER = ['schema', 'extension', 'table', 'view', 'sequence', 'function', 'enum'];

const MEMBER_KINDS = new Set(['column', 'index', 'constraint']);

// diff.ts's keys: `PRIV on KIND NAME to GRANTEE` and `PRIV on TYPE to GRANTEE (for role R[ in schema S])`.
const GRANT = /^(\S+) on (schema|table|view|matview|sequence|function) (.+) to (.+)$/;
const DEFAULT_PRIVILEGE = /^(\S+ on \S+ to (.+)) \(for role (.+?)(?: in schema (.+))?\)$/;

interface Owner {
  kind: string;
  object: string;
  /** The part's name within its owner: `tenant_read`, `SELECT to anon`. */
  part: string;
  /** For grants and default privileges: the role they give to. */
  grantee?: string;
}

function ownerOf(d: ObjectDifference, relations: Map<string, string>): Owner | null {
  if (d.kind === 'trigger' || d.kind === 'policy' || MEMBER_KINDS.has(d.kind)) {
    // `schema.table.name`: the longest relation the key starts with, or all but the last name
    // (not for a member kind, whose key may be `schema.name`).
    const known = [...relations.keys()]
      .filter((r) => d.object.startsWith(`${r}.`))
      .sort((a, b) => b.length - a.length)[0];
    if (!known && MEMBER_KINDS.has(d.kind)) return null;
    const at = known ? known.length : d.object.lastIndexOf('.');
    if (at <= 0) return null;
    const object = d.object.slice(0, at);
    return { kind: relations.get(object) ?? 'table', object, part: d.object.slice(at + 1) };
  }
  if (d.kind === 'grant') {
    const m = GRANT.exec(d.object);
    if (!m) return null;
    const [, privilege, kind, object, grantee] = m as unknown as [string, string, string, string, string];
    return {
      kind: relations.get(object) ?? (kind === 'matview' ? 'view' : kind),
      object,
      part: `${privilege} to ${grantee}`,
      grantee,
    };
  }
  if (d.kind === 'default privilege') {
    const m = DEFAULT_PRIVILEGE.exec(d.object);
    if (!m) return null;
    const [, part, grantee, role, schema] = m as unknown as [string, string, string, string, string?];
    return schema
      ? { kind: 'schema', object: schema, part, grantee }
      : { kind: 'role', object: role, part, grantee };
  }
  return null;
}

const rank = (g: ObjectChanges) =>
  g.own?.change === 'only on target' ? 0 : g.own?.change === 'missing on target' ? 2 : 1;
const kindRank = (kind: string) => {
  const i = KIND_ORDER.indexOf(kind);
  return i === -1 ? KIND_ORDER.length : i;
};

/**
 * Differences grouped by their object, removals first, then changes, then creations.
 * `relations` are tables the caller knows of, so a policy on one is told apart from its name.
 */
export function groupObjectChanges(diffs: ObjectDifference[], relations: string[] = []): ObjectChanges[] {
  const known = new Map(relations.map((r) => [r, 'table']));
  for (const d of diffs) if (d.kind === 'table' || d.kind === 'view') known.set(d.object, d.kind);
  const groups = new Map<string, ObjectChanges>();
  const groupOf = (kind: string, object: string) => {
    const key = `${kind}\u0000${object}`;
    const g = groups.get(key) ?? { kind, object, own: null, parts: [] };
    groups.set(key, g);
    return g;
  };
  for (const d of diffs) {
    const owner = ownerOf(d, known);
    if (owner) groupOf(owner.kind, owner.object).parts.push(d);
    else groupOf(d.kind, d.object).own = d;
  }
  return [...groups.values()].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      kindRank(a.kind) - kindRank(b.kind) ||
      a.kind.localeCompare(b.kind) ||
      a.object.localeCompare(b.object),
  );
}

/** `policy a`, `policies a, b`, `5 policies (a, b, c, …)`: named while a line stays short. */
function named(noun: string, plural: string, names: string[]): string {
  if (names.length === 1) return `${noun} ${names[0]}`;
  if (names.length <= 3) return `${plural} ${names.join(', ')}`;
  return `${counted(names.length, noun, plural)} (${names.slice(0, 3).join(', ')}, …)`;
}

function partPhrases(g: ObjectChanges, wording: Wording, skip?: Change): string[] {
  const known = new Map([[g.object, g.kind]]);
  const out: string[] = [];
  const kinds = Object.keys(PART_KINDS).filter((k) => g.parts.some((p) => p.kind === k));
  for (const change of ['only on target', 'differs', 'missing on target'] as const) {
    if (change === skip) continue;
    for (const kind of kinds) {
      const parts = g.parts.filter((p) => p.kind === kind && p.change === change);
      if (!parts.length) continue;
      const owners = parts.map((p) => ownerOf(p, known)!);
      const verb = PART_VERB[wording][change];
      const plural = PART_KINDS[kind]!;
      if (kind === 'grant' || kind === 'default privilege') {
        // Who gains or loses access is what matters; the privileges are in the JSON.
        const detail =
          parts.length <= 2
            ? owners.map((o) => cell(o.part)).join(', ')
            : `to ${[...new Set(owners.map((o) => cell(o.grantee!)))].sort().join(', ')}`;
        out.push(`${counted(parts.length, kind, plural)} ${verb} (${detail})`);
      } else {
        const fields =
          parts.length === 1 && parts[0]!.fields
            ? parts[0]!.fields.map((f) => fieldPhrase(f.field, f.source, f.target, wording))
            : [];
        out.push(
          `${named(
            kind,
            plural,
            owners.map((o) => code(o.part)),
          )} ${verb}${fields.length ? ` (${fields.join(', ')})` : ''}`,
        );
      }
    }
  }
  return out;
}

const LABELS: Record<string, string> = {
  rlsEnabled: 'RLS',
  rlsForced: 'forced RLS',
  securityDefiner: 'security definer',
  source: 'body',
  result: 'returns',
  config: 'settings',
  ownedBy: 'owned by',
  dataType: 'type',
  grantable: 'grant option',
  viaRoot: 'via root',
};
const label = (field: string) => LABELS[field] ?? field;

/** A value short enough to show in a line, or null. */
function shown(v: unknown): string | null {
  if (v === null) return 'none';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if ((typeof v === 'string' || typeof v === 'number') && String(v).length <= 40 && !/\n/.test(String(v)))
    return code(String(v));
  return null;
}

const scalars = (v: unknown): v is (string | number)[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number');

/** A property of an object that differs: `owner \`a\` → \`b\``, `labels +\`x\``, or its name. */
function fieldPhrase(field: string, source: unknown, target: unknown, wording: Wording): string {
  const name = label(field);
  if (scalars(source) && scalars(target)) {
    const only = (a: (string | number)[], b: (string | number)[]) =>
      a.filter((x) => !b.includes(x)).map((x) => code(String(x)));
    const [inSource, inTarget] = [only(source, target), only(target, source)];
    if (!inSource.length && !inTarget.length) return `${name} (order)`;
    if (wording === 'sync') {
      return `${name} ${[...inSource.map((x) => `+${x}`), ...inTarget.map((x) => `−${x}`)].join(', ')}`;
    }
    const [expected, found] =
      wording === 'drift' ? ['missing', 'extra'] : ['only in source', 'only in target'];
    return [
      inSource.length ? `${name} ${inSource.join(', ')} ${expected}` : '',
      inTarget.length ? `${name} ${inTarget.join(', ')} ${found}` : '',
    ]
      .filter(Boolean)
      .join(', ');
  }
  // A function's body is compared by its md5: the values say nothing to a reader.
  const [s, t] = field === 'source' ? [null, null] : [shown(source), shown(target)];
  if (s === null || t === null) return name;
  if (wording === 'drift') return `${name} ${t} (expected ${s})`;
  return wording === 'sync' ? `${name} ${t} → ${s}` : `${name} ${s} in source, ${t} in target`;
}

/** The members of a table (columns, constraints, indexes) as [name, ...properties] rows. */
type Members = Map<string, unknown[]>;

const INDEX_NAME = /INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?((?:"(?:[^"]|"")*"|[^\s"])+) ON /;

function members(field: string, v: unknown): Members | null {
  if (!Array.isArray(v)) return null;
  const out: Members = new Map();
  for (const x of v) {
    if (field === 'indexes' && typeof x === 'string') {
      const m = INDEX_NAME.exec(x);
      if (!m) return null;
      out.set(m[1]!, [x]);
    } else if (Array.isArray(x) && typeof x[0] === 'string') out.set(x[0], x.slice(1));
    else return null;
  }
  return out;
}

const MEMBER: Record<string, { noun: string; plural: string; properties: string[] }> = {
  columns: {
    noun: 'column',
    plural: 'columns',
    properties: ['type', 'not null', 'default', 'generated', 'identity', 'collation'],
  },
  constraints: { noun: 'constraint', plural: 'constraints', properties: ['type', 'definition'] },
  indexes: { noun: 'index', plural: 'indexes', properties: ['definition'] },
};

/** `columns +a, −b`, `column c changed (type)`: what changed among a table's members. */
function memberPhrases(field: string, source: unknown, target: unknown, wording: Wording): string[] | null {
  const m = MEMBER[field];
  const [a, b] = [members(field, source), members(field, target)];
  if (!m || !a || !b) return null;
  const verbs = PART_VERB[wording];
  const out: string[] = [];
  const removed = [...b.keys()].filter((n) => !a.has(n));
  const changed = [...a.keys()].filter(
    (n) => b.has(n) && JSON.stringify(a.get(n)) !== JSON.stringify(b.get(n)),
  );
  const added = [...a.keys()].filter((n) => !b.has(n));
  if (removed.length) out.push(`${named(m.noun, m.plural, removed.map(code))} ${verbs['only on target']}`);
  if (changed.length) {
    const what = (n: string) =>
      m.properties.filter((_, i) => JSON.stringify(a.get(n)![i]) !== JSON.stringify(b.get(n)![i]));
    out.push(
      changed.length === 1
        ? `${m.noun} ${code(changed[0]!)} ${verbs.differs} (${what(changed[0]!).join(', ')})`
        : `${named(m.noun, m.plural, changed.map(code))} ${verbs.differs}`,
    );
  }
  if (added.length) out.push(`${named(m.noun, m.plural, added.map(code))} ${verbs['missing on target']}`);
  return out.length ? out : [`${m.plural} (order)`];
}

/** At most this many phrases in one line; the rest are in the JSON. */
const MAX_PHRASES = 8;

/** One object's line: `removed, with 2 policies, 32 grants` or `changed: column a added; RLS off → on`. */
export function describeObjectChanges(g: ObjectChanges, wording: Wording): string {
  const phrases: string[] = [];
  let head = '';
  if (g.own && g.own.change !== 'differs') {
    const verb = OWN_VERB[wording][g.own.change];
    head = wording === 'sync' && g.own.change === 'only on target' ? `**${verb}**` : verb;
    const along = Object.entries(PART_KINDS)
      .map(
        ([kind, plural]) =>
          [kind, plural, g.parts.filter((p) => p.kind === kind && p.change === g.own!.change)] as const,
      )
      .filter(([, , parts]) => parts.length)
      .map(([kind, plural, parts]) => counted(parts.length, kind, plural));
    if (along.length) head += `, with ${along.join(', ')}`;
    phrases.push(...partPhrases(g, wording, g.own.change));
  } else {
    if (g.own) {
      head = `${OWN_VERB[wording].differs}:`;
      for (const f of g.own.fields ?? []) {
        phrases.push(
          ...(memberPhrases(f.field, f.source, f.target, wording) ?? [
            fieldPhrase(f.field, f.source, f.target, wording),
          ]),
        );
      }
    }
    phrases.push(...partPhrases(g, wording));
  }
  const more = phrases.length > MAX_PHRASES ? `; and ${phrases.length - (MAX_PHRASES - 1)} more` : '';
  const shownPhrases = more ? phrases.slice(0, MAX_PHRASES - 1) : phrases;
  const body = shownPhrases.join('; ') + more;
  if (!head) return body;
  if (!body) return head.replace(/:$/, '');
  return head.endsWith(':') ? `${head} ${body}` : `${head}; ${body}`;
}

/** `**2 objects removed** (table \`a\`, …), 3 changed, 1 created` — removals first, they lose data. */
export function objectChangesHeadline(groups: ObjectChanges[], wording: Wording): string {
  const by = (c: Change | null) =>
    groups.filter((g) => (g.own?.change ?? null) === c || (c === 'differs' && !g.own));
  const removed = by('only on target');
  const changed = by('differs');
  const created = by('missing on target');
  const names = removed
    .slice(0, 3)
    .map((g) => `${g.kind} ${code(g.object)}`)
    .join(', ');
  const count = `${counted(removed.length, 'object')} ${OWN_VERB[wording]['only on target']}`;
  const gone = removed.length
    ? `${wording === 'sync' ? `**${count}**` : count} (${names}${removed.length > 3 ? ', …' : ''})`
    : '';
  return [
    gone,
    changed.length
      ? `${counted(changed.length, 'object')} ${wording === 'sync' ? 'changed' : changed.length === 1 ? 'differs' : 'differ'}`
      : '',
    created.length ? `${counted(created.length, 'object')} ${OWN_VERB[wording]['missing on target']}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** The grouped differences as one table that fits a screen: `max` objects, the rest in `json`. */
export function objectChangesTable(
  diffs: ObjectDifference[],
  o: { wording: Wording; json: string; max?: number; relations?: string[] },
): string {
  const groups = groupObjectChanges(diffs, o.relations);
  const max = o.max ?? 30;
  const out = [
    table(
      ['Kind', 'Object', o.wording === 'sync' ? 'Change' : 'Difference'],
      groups.slice(0, max).map((g) => [cell(g.kind), code(g.object), describeObjectChanges(g, o.wording)]),
    ),
  ];
  if (groups.length > max)
    out.push('', `… and ${formatCount(groups.length - max)} more objects (see ${o.json}).`);
  return out.join('\n');
}
