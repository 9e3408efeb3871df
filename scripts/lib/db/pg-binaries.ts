// Finds PostgreSQL programs (server: initdb/postgres; client: pg_dump/pg_restore/psql)
// of a suitable major version, in one search order for every caller.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../base/errors.ts';

export interface PgProgram {
  /** Absolute path of the program. */
  path: string;
  bindir: string;
  major: number;
  /** `15.18`, `17.6` … */
  version: string;
}

/** PG_BIN, `pg_config --bindir`, /usr/lib/postgresql/N/bin (newest first), Homebrew, PATH. */
export function candidateBinDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  if (env.PG_BIN) dirs.push(env.PG_BIN);
  try {
    dirs.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', env }).trim());
  } catch {
    // no pg_config on PATH
  }
  for (const root of ['/usr/lib/postgresql', '/opt/homebrew/opt', '/usr/local/opt']) {
    if (!existsSync(root)) continue;
    const entries = readdirSync(root).sort(
      (a, b) =>
        Number.parseInt(b.replace(/\D+/g, '') || '0', 10) - Number.parseInt(a.replace(/\D+/g, '') || '0', 10),
    );
    for (const entry of entries) {
      if (root === '/usr/lib/postgresql' || entry.startsWith('postgresql') || entry.startsWith('libpq')) {
        dirs.push(path.join(root, entry, 'bin'));
      }
    }
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) if (dir) dirs.push(dir);
  return [...new Set(dirs)];
}

const versions = new Map<string, PgProgram | null>();

/** The program's version, from `<program> --version` (cached). */
export function programVersion(file: string): PgProgram | undefined {
  if (versions.has(file)) return versions.get(file) ?? undefined;
  let found: PgProgram | null = null;
  if (existsSync(file)) {
    try {
      const out = execFileSync(file, ['--version'], { encoding: 'utf8' });
      const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(out) ?? /(\d+)(?:\.(\d+))?/.exec(out);
      if (m)
        found = {
          path: file,
          bindir: path.dirname(file),
          major: Number(m[1]),
          version: `${m[1]}.${m[2] ?? '0'}`,
        };
    } catch {
      // not runnable
    }
  }
  versions.set(file, found);
  return found ?? undefined;
}

/** Every copy of `program` found, newest major first. */
export function findPrograms(program: string, env: NodeJS.ProcessEnv = process.env): PgProgram[] {
  return candidateBinDirs(env)
    .map((dir) => programVersion(path.join(dir, program)))
    .filter((p): p is PgProgram => !!p)
    .sort((a, b) => b.major - a.major);
}

/** How to get client programs of a given major, per platform (for error hints). */
export function clientInstallHint(major: number): string {
  return (
    `install PostgreSQL ${major} client tools — Debian/Ubuntu: sudo apt-get install postgresql-client-${major} ` +
    `(from apt.postgresql.org if your release lacks it); macOS: brew install libpq (or postgresql@${major}); ` +
    `GitHub Actions: a step running \`sudo apt-get install -y postgresql-common && sudo /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y && sudo apt-get install -y postgresql-client-${major}\`; ` +
    'or set PG_BIN to their directory'
  );
}

/**
 * A client program (pg_dump, pg_restore, psql) whose major version is at least the
 * server's: an older pg_dump refuses a newer server, and a newer one reads older ones.
 */
export function findClientProgram(
  program: string,
  serverMajor: number,
  env: NodeJS.ProcessEnv = process.env,
): PgProgram {
  // Asking each candidate its version costs a process (~50 ms through Debian's pg_wrapper):
  // the first of the server's own major, in search order, ends the search.
  const all: PgProgram[] = [];
  for (const dir of candidateBinDirs(env)) {
    const p = programVersion(path.join(dir, program));
    if (p?.major === serverMajor) return p;
    if (p) all.push(p);
  }
  all.sort((a, b) => b.major - a.major);
  const suitable = all.filter((p) => p.major >= serverMajor);
  // Prefer the same major as the server, else the oldest newer one.
  const chosen =
    suitable.find((p) => p.major === serverMajor) ?? suitable.sort((a, b) => a.major - b.major)[0];
  if (!chosen) {
    const seen = all.length ? ` (found ${all.map((p) => `${p.version} in ${p.bindir}`).join(', ')})` : '';
    throw new InputError(
      `no ${program} of PostgreSQL ${serverMajor} or newer for this server (PostgreSQL ${serverMajor})${seen}`,
      clientInstallHint(serverMajor),
    );
  }
  return chosen;
}
