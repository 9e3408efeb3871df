import type { EntryDifference } from '../results/validate.ts';
// pg_dump's plain script as its table-of-contents entries (`-- Name: …; Type: …; Schema: …;
// Owner: …` headers): so a failing statement can be named by its object and dump line,
// entries owned by roles the connecting role cannot act as can be left out, and two
// schema dumps can be compared object by object.

export interface DumpEntry {
  /** pg_dump's object type: TABLE, FUNCTION, DEFAULT ACL, TABLE ATTACH, ACL, COMMENT, … */
  kind: string;
  /** pg_dump's name for it (`users`, `f(integer)`, `users users_pkey`, `TABLE users`). */
  name: string;
  schema: string | null;
  owner: string | null;
  /** 1-based line of the entry's header in the script. */
  line: number;
  /** The entry's statements (with the blank lines pg_dump puts between them). */
  sql: string;
}

export interface DumpScript {
  /** The SETs before the first entry (search_path, check_function_bodies, …). */
  preamble: string;
  entries: DumpEntry[];
}

export const HEADER = /^-- (?:Data for )?Name: (.*); Type: (.*?); Schema: (.*?); Owner: (.*)$/;

/** Splits a plain pg_dump script into its entries; psql-only `\restrict` lines are dropped. */
export function parseDumpScript(script: string): DumpScript {
  const lines = script.split('\n');
  const entries: DumpEntry[] = [];
  const preamble: string[] = [];
  let current: { head: Omit<DumpEntry, 'sql'>; body: string[] } | null = null;
  const flush = () => {
    if (current) entries.push({ ...current.head, sql: current.body.join('\n').trim() });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = line === '--' && lines[i + 2] === '--' ? HEADER.exec(lines[i + 1] ?? '') : null;
    if (m) {
      flush();
      const dash = (s: string) => (s === '-' || s === '' ? null : s);
      current = {
        head: { name: m[1]!, kind: m[2]!, schema: dash(m[3]!), owner: dash(m[4]!), line: i + 2 },
        body: [],
      };
      i += 2;
      continue;
    }
    if (/^\\(un)?restrict\b/.test(line)) continue;
    if (current) current.body.push(line);
    else preamble.push(line);
  }
  flush();
  return { preamble: preamble.join('\n').trim(), entries: entries.filter((e) => e.sql !== '') };
}

/**
 * A line of pg_dump's SQL as it runs inside our transaction, as the app role: a schema the
 * target keeps is not created twice (it is emptied, never dropped), and a grant made by
 * another grantor runs under SET ROLE (which membership allows) instead of SET SESSION
 * AUTHORIZATION (which only a superuser may use).
 */
export function runnableLine(kind: string, line: string): string {
  if (kind === 'SCHEMA')
    return line.replace(/^CREATE SCHEMA (?!IF NOT EXISTS)/, 'CREATE SCHEMA IF NOT EXISTS ');
  if (kind === 'ACL' || kind === 'DEFAULT ACL') {
    return line
      .replace(/^SET SESSION AUTHORIZATION (.+);$/, 'SET ROLE $1;')
      .replace(/^RESET SESSION AUTHORIZATION;$/, 'RESET ROLE;');
  }
  return line;
}

/** `TABLE public.users`, `DEFAULT ACL public DEFAULT PRIVILEGES FOR TABLES` — for messages. */
export function describeEntry(e: Pick<DumpEntry, 'kind' | 'name' | 'schema'>): string {
  return `${e.kind.toLowerCase()} ${e.schema ? `${e.schema}.` : ''}${e.name}`;
}

/** The first line of SQL in an entry (skipping SET lines pg_dump adds before a CREATE). */
export function firstStatementLine(sql: string): string {
  const lines = sql.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('--'));
  return (
    lines.find((l) => !/^SET (default_tablespace|default_table_access_method) /.test(l)) ??
    lines[0] ??
    ''
  )
    .trim()
    .slice(0, 200);
}

/** The entry a line of the script belongs to (the last header at or before it). */
export function entryAtLine(entries: DumpEntry[], line: number): DumpEntry | undefined {
  let found: DumpEntry | undefined;
  for (const e of entries) {
    if (e.line > line) break;
    found = e;
  }
  return found;
}

/**
 * Two schema dumps compared entry by entry — every object kind pg_dump knows, with the
 * same words it uses — so nothing the catalog model does not describe can differ unseen.
 */
export function compareDumps(source: DumpScript, target: DumpScript): EntryDifference[] {
  const keyed = (d: DumpScript) => {
    const out = new Map<string, DumpEntry>();
    for (const e of d.entries) {
      const base = `${e.kind}|${e.schema ?? ''}|${e.name}`;
      let k = base;
      for (let n = 2; out.has(k); n++) k = `${base}#${n}`;
      out.set(k, e);
    }
    return out;
  };
  const [a, b] = [keyed(source), keyed(target)];
  const name = (e: DumpEntry) => `${e.schema ? `${e.schema}.` : ''}${e.name}`;
  const out: EntryDifference[] = [];
  for (const [k, e] of a) {
    const other = b.get(k);
    if (!other) out.push({ kind: e.kind.toLowerCase(), object: name(e), change: 'missing on target' });
    else if (other.sql !== e.sql) {
      const [x, y] = [e.sql.split('\n'), other.sql.split('\n')];
      const i = x.findIndex((line, n) => line !== y[n]);
      const at = i === -1 ? x.length : i;
      out.push({
        kind: e.kind.toLowerCase(),
        object: name(e),
        change: 'differs',
        source: (x[at] ?? '(end)').slice(0, 200),
        target: (y[at] ?? '(end)').slice(0, 200),
      });
    }
  }
  for (const [k, e] of b) {
    if (!a.has(k)) out.push({ kind: e.kind.toLowerCase(), object: name(e), change: 'only on target' });
  }
  return out;
}
