// Small pure helpers every summary renderer uses, so all job summaries read alike.

export function code(text: string): string {
  // A code span must be fenced by more backticks than it contains.
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

export function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

const DATABASE_URL = /postgres(?:ql)?:\/\/[^\s`]+/g;

/**
 * Free text (a check's detail, a job's headline) for a table cell or a line: database addresses
 * go in code spans, since GitHub turns the `user@host` in them into a mail link.
 */
export function prose(text: string): string {
  let out = '';
  let at = 0;
  for (const m of text.matchAll(DATABASE_URL)) {
    const url = m[0].replace(/[.,:;)\]]+$/, '');
    out += cell(text.slice(at, m.index)) + code(url);
    at = m.index + url.length;
  }
  return out + cell(text.slice(at));
}

/** A database as the results carry it: `name` is the environment (`dev`) or `url` when given by URL. */
export interface NamedDatabase {
  name: string;
  display: string;
}

const environmentName = (name: string) => name !== 'url' && /^[A-Za-z][\w-]*$/.test(name);

/** An environment name as given on the command line; anything else (a URL) in a code span. */
export function environment(name: string): string {
  return environmentName(name) ? name : code(name);
}

/** `staging` `postgres://…` when given by environment name, else the display alone. */
export function database(db: NamedDatabase): string {
  return environmentName(db.name) ? `${db.name} ${code(db.display)}` : code(db.display);
}

/**
 * A heading's `dev → staging` (or `staging against dev`) and the line under it with both
 * displays; databases given by URL show their displays in the heading and need no line.
 */
export function route(
  first: NamedDatabase,
  second: NamedDatabase,
  joiner = '→',
): { heading: string; displays: string | null } {
  const displays = `${code(first.display)} ${joiner} ${code(second.display)}`;
  return environmentName(first.name) && environmentName(second.name)
    ? { heading: `${first.name} ${joiner} ${second.name}`, displays }
    : { heading: displays, displays: null };
}

export function table(headers: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const sep = headers.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [headers, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** `1 policy`, `32 grants`: a count with its noun. */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${formatCount(n)} ${n === 1 ? noun : plural}`;
}

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}
